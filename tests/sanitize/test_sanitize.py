"""The tenders under AddressSanitizer + UBSan, on every change: scripts/sanitize
builds them (scons SANITIZE=1, build/sanitize/) and runs the CI subset of the
tender suites against that build; any failure there, a sanitizer finding
included (status 86, tenders/sanitize/tender_sanitize_options.c), fails this
test.  `scripts/sanitize --all` runs every tender suite (docs/security.md,
"Sanitizers")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent.parent
SANITIZED = TOP / "build" / "sanitize"

pytestmark = pytest.mark.skipif(
    os.environ.get("SOLO5_BUILD") is not None,
    reason="already running on another build (SOLO5_BUILD): no nested sanitized run",
)


@pytest.fixture(scope="module")
def sanitized_run() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOP / "scripts" / "sanitize"), "-q", "-x"],
        capture_output=True,
        text=True,
        cwd=TOP,
        timeout=1800,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_tender_suites_pass_on_the_sanitized_build(
    sanitized_run: subprocess.CompletedProcess[str],
) -> None:
    out = sanitized_run.stdout + sanitized_run.stderr
    assert sanitized_run.returncode == 0, out[-6000:]
    assert " passed" in out and " failed" not in out, out[-2000:]


@pytest.mark.parametrize(
    "program",
    [
        "stage/bin/solo5-spt",
        "stage/bin/solo5-hvt",
        "stage/bin/solo5-hvt-debug",
        "tests/unit/tender_elf_check",
        "tests/unit/hvt_unit_check",
    ],
)
def test_what_ran_was_sanitized(
    sanitized_run: subprocess.CompletedProcess[str], program: str
) -> None:
    """The sanitized tree's programs carry the runtime and our options, so
    the run above did test them (and not the ordinary build)."""
    symbols = subprocess.run(
        ["nm", str(SANITIZED / program)], capture_output=True, text=True, check=True
    ).stdout
    assert "__asan_default_options" in symbols and "__ubsan_default_options" in symbols
    assert "__asan_report_load8" in symbols or "__asan_report_load" in symbols
