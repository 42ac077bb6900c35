"""Where the build under test is: build/ as `scons` makes it, or the tree
that SOLO5_BUILD names (scripts/sanitize runs the suites on build/sanitize,
the SANITIZE=1 build of the tenders and host test programs;
docs/security.md, "Sanitizers").  The test unikernels are always the
ordinary build's (GUESTS): they are never sanitized, and SANITIZE=1 does not
build them again."""

from __future__ import annotations

import os
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent
BUILD = TOP / os.environ.get("SOLO5_BUILD", "build")
STAGE = BUILD / "stage"
GUESTS = TOP / "build" / "tests"


def unit_program(name: str) -> Path:
    """build/tests/unit/<name>, a host test program the build makes."""
    path = BUILD / "tests" / "unit" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not built: run `scons -Q -j2`")
    return path
