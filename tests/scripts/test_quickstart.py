"""The Quickstart scripts: scripts/demo from a clean tree, and what
scripts/ensure-env.sh installs for the demo and for the tests.

ensure-env runs here against fake `dpkg-query` and `id` (first on PATH), so
that it reports what it would install without installing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent.parent
TRIPLE = "x86_64-solo5-none-static"
# What building the tenders and one unikernel needs, and no more.
# (The tenders write their seccomp filters themselves: no libseccomp-dev,
# and no pkg-config to find it.)
DEMO_PACKAGES = {"gcc", "binutils", "libc6-dev", "scons", "python3-jinja2"}
# A few of what only the tests need.
TEST_ONLY = {"python3-venv", "qemu-system-x86", "gdb", "devscripts", "hyperfine", "pkg-config"}


def source_tree(dest: Path) -> Path:
    """A copy of the checkout's sources (tracked and new files: no build/,
    no .venv), as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TOP, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        if (TOP / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TOP / rel, dest / rel)
    return dest


def fake_system(bin_dir: Path, installed: bool, uid: int) -> None:
    """dpkg-query that knows every package as installed or none; id -u."""
    bin_dir.mkdir()
    listing = 'for p in "$@"; do case $p in -*) ;; *) echo "ii  $p $p" ;; esac; done'
    scripts = {
        "dpkg-query": f"#!/bin/sh\n{listing if installed else 'exit 1'}\n",
        "id": f"#!/bin/sh\necho {uid}\n",
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)


def ensure_env(tree: Path, fake_bin: Path, mode: str | None,
               after: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "HOME": str(tree)}
    if mode:
        env["SOLO5_ENV"] = mode
    return subprocess.run(
        ["bash", "-c", f"source scripts/ensure-env.sh && {after or 'true'}"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def missing_reported(proc: subprocess.CompletedProcess[str]) -> set[str]:
    """The packages of the `sudo apt-get install -y ...` line a non-root user gets."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    prefix = "error: run: sudo apt-get install -y "
    lines = [line for line in proc.stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, proc.stderr
    return set(lines[0].removeprefix(prefix).split())


@pytest.fixture
def scripts_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "scripts").mkdir(parents=True)
    shutil.copy2(TOP / "scripts" / "ensure-env.sh", tree / "scripts")
    shutil.copy2(TOP / "pyproject.toml", tree)
    return tree


def test_the_demo_asks_for_the_demo_packages_only(scripts_tree: Path, tmp_path: Path) -> None:
    fake_system(tmp_path / "bin", installed=False, uid=1000)
    assert missing_reported(ensure_env(scripts_tree, tmp_path / "bin", None)) == DEMO_PACKAGES


def test_the_tests_ask_for_theirs_too(scripts_tree: Path, tmp_path: Path) -> None:
    fake_system(tmp_path / "bin", installed=False, uid=1000)
    wanted = missing_reported(ensure_env(scripts_tree, tmp_path / "bin", "test"))
    assert wanted >= DEMO_PACKAGES | TEST_ONLY


def test_the_demo_makes_no_virtualenv(scripts_tree: Path, tmp_path: Path) -> None:
    fake_system(tmp_path / "bin", installed=True, uid=1000)
    proc = ensure_env(scripts_tree, tmp_path / "bin", None, 'echo "scons=$SOLO5_SCONS"')
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == "scons=/usr/bin/scons\n"
    assert not (scripts_tree / ".venv").exists()


def test_demo_from_a_clean_tree(tmp_path: Path) -> None:
    """./scripts/demo in a fresh copy, as a user with the system's PATH:
    it builds the tenders and test_hello only, and runs it."""
    tree = source_tree(tmp_path / "solo5")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    proc = subprocess.run(["./scripts/demo"], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    account = f"exit status {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    assert proc.returncode == 0, account
    assert "Hello, World\nCommand line is: 'Hello_Solo5'\nSUCCESS\n" in proc.stdout, account
    assert "\n==> build/stage/bin/solo5-" in proc.stdout, account
    assert not (tree / ".venv").exists()
    # Only what the demo runs was built.
    assert sorted(os.listdir(tree / "build" / "tests")) == ["test_hello"]
    lib = tree / "build" / "stage" / "lib" / TRIPLE
    assert sorted(p.name for p in lib.glob("*.o")) == ["solo5_hvt.o", "solo5_spt.o"]
