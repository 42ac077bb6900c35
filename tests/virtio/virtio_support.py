"""Running virtio test unikernels with the staged solo5-virtio-run."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from support import paths
from support.paths import BUILD

TOP = Path(__file__).resolve().parents[2]
STAGE = BUILD / "stage"
GUESTS = paths.GUESTS
TIMEOUT = 120


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"status {self.status}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def guest(name: str) -> Path:
    path = GUESTS / name / f"{name}.virtio"
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
    return path


def virtio_run(args: Sequence[str | Path], prefix: Path = STAGE,
               wrap: Sequence[str] = ()) -> Run:
    argv = [*wrap, str(prefix / "bin" / "solo5-virtio-run"), *[str(a) for a in args]]
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=TIMEOUT, check=False)
    return Run(proc.returncode, proc.stdout.decode(errors="replace"),
               proc.stderr.decode(errors="replace"))
