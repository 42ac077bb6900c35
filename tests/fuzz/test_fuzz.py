"""The fuzzing harnesses (fuzz/, scripts/fuzz) on every change: each runs
for a few seconds from its seeds and the committed regression inputs, and
any crash fails the suite.  The long campaign runs outside CI
(docs/security.md, "Fuzzing")."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent.parent
RUNNER = TOP / "fuzz" / "runner.py"
TARGETS = ("elf", "mft", "hypercall", "ring", "block", "seccomp", "gdb", "spt_boot", "elftool")

pytestmark = pytest.mark.skipif(
    shutil.which("clang") is None, reason="clang is not installed (scripts/test installs it)"
)


def runner(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUNNER), *args],
        capture_output=True,
        text=True,
        cwd=TOP,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def brief_run() -> subprocess.CompletedProcess[str]:
    return runner("--seconds", "3")


def test_every_harness_runs_without_a_crash(brief_run: subprocess.CompletedProcess[str]) -> None:
    assert brief_run.returncode == 0, brief_run.stdout + brief_run.stderr
    rows = {}
    for line in brief_run.stdout.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line)
        if m:
            rows[m.group(1)] = [int(v) for v in m.groups()[1:]]
    assert sorted(rows) == sorted(TARGETS), brief_run.stdout
    for name, (execs, _per_sec, cov, _ft, _corpus, crashes) in rows.items():
        assert execs > 0 and cov > 0 and crashes == 0, (name, brief_run.stdout)


def test_a_crash_fails_the_run(tmp_path: Path) -> None:
    """A harness that crashes must be reported and fail scripts/fuzz: the
    regression inputs of each target are run as is, so a broken promise
    there shows the same way (here: a harness binary that always aborts)."""
    crashing = tmp_path / "fuzz_elf"
    crashing.write_text("#!/bin/sh\necho 'Test unit written to ./crash-x' >&2\nexit 1\n")
    crashing.chmod(0o755)
    code = (
        "import sys; sys.argv[1:] = ['--no-build', '--seconds', '1', 'elf'];"
        f"sys.path.insert(0, {str(TOP / 'fuzz')!r}); import runner;"
        f"runner.Target.command = lambda self: [{str(crashing)!r}];"
        "sys.exit(runner.main())"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=TOP,
        timeout=120,
        check=False,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "CRASH elf: ./crash-x" in r.stdout


def test_regression_inputs_run_clean(brief_run: subprocess.CompletedProcess[str]) -> None:
    """Every committed regression input, once, straight through its harness."""
    inputs = sorted((TOP / "fuzz" / "regressions").glob("*/*"))
    assert inputs, "fuzz/regressions/ has no inputs"
    for path in inputs:
        target = path.parent.name
        if target == "elftool":
            cmd = [sys.executable, str(TOP / "fuzz" / "fuzz_elftool.py")]
        else:
            cmd = [str(TOP / "build" / "fuzz" / "bin" / f"fuzz_{target}")]
        r = subprocess.run(
            [*cmd, str(path)], capture_output=True, text=True, timeout=120, check=False
        )
        assert r.returncode == 0, (path, r.stderr[-2000:])


def test_help_and_bad_target() -> None:
    r = runner("--help", timeout=60)
    assert r.returncode == 0 and "--seconds N" in r.stdout
    r = runner("--no-build", "nosuch", timeout=60)
    assert r.returncode == 2
    assert r.stderr == (
        "scripts/fuzz: unknown target 'nosuch' (one of: " + ", ".join(TARGETS) + ")\n"
    )
