"""oci/ is mypy --strict and ruff clean; tests/oci is ruff clean."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support.tools import tool


def test_mypy_strict(top: Path, tmp_path: Path) -> None:
    # oci/ is solo5_oci to Python: a search path where the folders have
    # their package names (solo5_oci imports solo5_toolchain).
    os.symlink(top / "oci", tmp_path / "solo5_oci")
    os.symlink(top / "toolchain", tmp_path / "solo5_toolchain")
    result = subprocess.run(
        [
            tool("mypy"),
            "--strict",
            "--config-file",
            str(top / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "solo5_oci",
        ],
        capture_output=True,
        text=True,
        cwd=top,
        env={**os.environ, "MYPYPATH": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff(top: Path) -> None:
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [tool("ruff"), *command, "--no-cache", "oci", "tests/oci"],
            capture_output=True,
            text=True,
            cwd=top,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
