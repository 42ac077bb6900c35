"""toolchain/ is mypy --strict and ruff clean, fuzz/ ruff clean (tools: the test extras)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support.tools import tool


def test_mypy_strict(top: Path, tmp_path: Path) -> None:
    # The package is toolchain/ on disk but solo5_toolchain to Python: give
    # mypy a search path where the folder has its package name.
    os.symlink(top / "toolchain", tmp_path / "solo5_toolchain")
    result = subprocess.run(
        [tool("mypy"), "--strict", "--config-file", str(top / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), "-p", "solo5_toolchain"],
        capture_output=True, text=True, cwd=top, env={**os.environ, "MYPYPATH": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff(top: Path) -> None:
    result = subprocess.run(
        [tool("ruff"), "check", "--no-cache", "toolchain", "tests/toolchain", "fuzz", "tests/fuzz"],
        capture_output=True, text=True, cwd=top, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
