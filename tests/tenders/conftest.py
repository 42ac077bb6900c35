"""Fixtures for the tender tests: the built binaries and a unikernel writer."""

from collections.abc import Callable
from pathlib import Path

import pytest
from support.paths import BUILD

WriteElf = Callable[[str, bytes], Path]


@pytest.fixture(scope="session")
def harness(top: Path) -> Path:
    """build/tests/unit/tender_elf_check: the core's pure functions on a file."""
    path = BUILD / "tests" / "unit" / "tender_elf_check"
    if not path.is_file():
        pytest.fail(f"{path} is not built: run `scons -j2`")
    return path


@pytest.fixture(scope="session")
def spt(stage_bin: Path) -> Path:
    path = stage_bin / "solo5-spt"
    if not path.is_file():
        pytest.fail(f"{path} is not built: run `scons -j2`")
    return path


@pytest.fixture
def write_elf(tmp_path: Path) -> WriteElf:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
