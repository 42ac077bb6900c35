"""What bench/devices.py and bench/workloads.py share: paths, running the
built tenders and guests, host helpers, and figures from repeated runs.

Not a test helper: nothing here passes or fails.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))

from support.netns import Netns  # noqa: E402

STAGE_BIN = TOP / "build" / "stage" / "bin"
GUESTS = TOP / "build" / "tests"
HELPERS = TOP / "build" / "bench"
TENDERS = ("hvt", "spt")


def sh(argv: Sequence[str | Path], timeout: float = 300) -> str:
    """stdout of argv, which must succeed."""
    proc = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, argv))}: status {proc.returncode}\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def check_built(tenders: Sequence[str] = TENDERS) -> str | None:
    """None, or the one line saying what is missing."""
    for t in tenders:
        if not (STAGE_BIN / f"solo5-{t}").exists():
            return f"{STAGE_BIN}/solo5-{t} is not built: run `scons -Q -j2`"
    return None


def build_helper(name: str) -> Path:
    """Compiles bench/<name>.c into build/bench/<name>."""
    HELPERS.mkdir(parents=True, exist_ok=True)
    out = HELPERS / name
    sh(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out,
        TOP / "bench" / f"{name}.c"])  # fmt: skip
    return out


def guest_argv(
    tender: str, guest: str, devices: Sequence[str], args: Sequence[str], mem: int
) -> list[str]:
    return [
        str(STAGE_BIN / f"solo5-{tender}"),
        f"--mem={mem}",
        *devices,
        "--",
        str(GUESTS / guest / f"{guest}.{tender}"),
        *args,
    ]


def field_of(text: str, name: str) -> int:
    """The number after `name=` in text."""
    for word in text.split():
        if word.startswith(f"{name}=") and word[len(name) + 1 :].isdigit():
            return int(word[len(name) + 1 :])
    raise RuntimeError(f"no {name}= in:\n{text}")


def start_guest(ns: Netns, argv: list[str], ready: str, log: Path) -> subprocess.Popen[bytes]:
    """Starts argv in ns; returns once its output holds `ready`."""
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(ns.command(argv), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while ready.encode() not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"guest did not start:\n{log.read_text()}")
        time.sleep(0.02)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait()


@dataclass
class Samples:
    """Repeated figures of several measures, by (measure, who)."""

    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, measure: str, who: str, value: float) -> None:
        self.values.setdefault((measure, who), []).append(value)

    def median(self, measure: str, who: str) -> float:
        return statistics.median(self.values[(measure, who)])

    def spread(self, measure: str, who: str) -> str:
        v = self.values[(measure, who)]
        return f"{min(v):.4g}-{max(v):.4g}"


def load_average() -> str:
    """The 1-minute load average, to print next to figures."""
    return Path("/proc/loadavg").read_text().split()[0]
