"""Fixtures shared by every test suite: where the built tree is.

The suites run against build/stage (an installed prefix built by `scons`) and
build/tests (the test unikernels); scripts/test builds both first.  With
SOLO5_BUILD=build/sanitize (scripts/sanitize) they run against that tree.
"""

from pathlib import Path

import pytest
from support.paths import GUESTS, STAGE, TOP


@pytest.fixture(scope="session")
def top() -> Path:
    return TOP


@pytest.fixture(scope="session")
def stage() -> Path:
    """The in-tree prefix: bin/, include/, lib/ as `scons install` lays them out."""
    if not (STAGE / "bin").is_dir():
        pytest.fail(f"{STAGE} is not built: run `scons -j2` (scripts/test does)")
    return STAGE


@pytest.fixture(scope="session")
def stage_bin(stage: Path) -> Path:
    return stage / "bin"


@pytest.fixture(scope="session")
def guests() -> Path:
    """build/tests: one folder per test unikernel, holding <name>.<target>."""
    return GUESTS
