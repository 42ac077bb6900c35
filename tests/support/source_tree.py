"""A copy of the checkout's sources, for tests that build in a tree of their
own: tracked and new files (what `git status` shows), not build/ or .venv/."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent


def source_tree(dest: Path) -> Path:
    """Copies the sources into `dest` (made here) and returns it."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=TOP,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    dest.mkdir(parents=True)
    for rel in filter(None, listed):
        src = TOP / rel
        if src.is_file():  # deleted-but-tracked files are skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest
