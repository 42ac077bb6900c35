"""Running test unikernels on a tender, for the integration suites.

    result = run_guest("spt", "test_hello", ["Hello_Solo5"])
    assert result.status == 0 and "SUCCESS" in result.stdout

Every tender-specific fact the suites need (the binary, the default memory
size, what a guest fault looks like) is in one `Tender` entry of `TENDERS`,
so a case is written once and parametrised over tenders.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from support import paths
from support.paths import BUILD

TOP = Path(__file__).resolve().parent.parent.parent
STAGE_BIN = BUILD / "stage" / "bin"
GUESTS = paths.GUESTS

# Every run is bounded, so a hung guest fails its test instead of the suite.
DEFAULT_TIMEOUT = 60.0

# Exit statuses as a shell reports them: 128 + signal number.
STATUS_SIGSEGV = 128 + signal.SIGSEGV  # 139
STATUS_SIGSYS = 128 + signal.SIGSYS  # 159
STATUS_ABORT = 255  # solo5_abort(), assertions, stack smashing, hvt traps


@dataclass(frozen=True)
class Tender:
    """What the suites need to know about one tender."""

    name: str
    mem: int  # default --mem (MiB) for test runs
    fault_status: int  # status of a guest memory fault
    fault_text: str | None  # text a guest fault must print, if any

    @property
    def binary(self) -> Path:
        return STAGE_BIN / f"solo5-{self.name}"


TENDERS: Mapping[str, Tender] = {
    # spt guests are host processes: faults are real signals.
    "spt": Tender("spt", mem=2, fault_status=STATUS_SIGSEGV, fault_text=None),
    # hvt guests trap into their own (CPL0) handler, which aborts; executing
    # data is such a trap too (NX).  Our hvt bindings have no 2 MiB ring
    # buffer in .bss, so unlike upstream --mem=2 suffices.
    "hvt": Tender("hvt", mem=2, fault_status=STATUS_ABORT, fault_text="Solo5: ABORT"),
}

# Always tested; the others join as soon as the build produces their tender.
REQUIRED_TENDERS = ("spt",)


def tenders_under_test() -> list[str]:
    """spt, plus every other tender of TENDERS that is built in build/stage/bin."""
    return [name for name, t in TENDERS.items() if name in REQUIRED_TENDERS or t.binary.exists()]


@dataclass(frozen=True)
class GuestRun:
    """The outcome of one run: what a user at a terminal would see."""

    argv: list[str]
    status: int  # the shell's view: 128 + N when killed by signal N
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def output(self) -> str:
        """stdout then stderr, for checks that do not care which stream."""
        return self.stdout + self.stderr

    def describe(self) -> str:
        """A readable account of the run for assertion messages."""
        how = "timed out" if self.timed_out else f"exit status {self.status}"
        return (
            f"$ {' '.join(self.argv)}\n{how}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


def tender(name: str) -> Tender:
    """The `Tender` called `name`, or a ValueError listing the known ones."""
    try:
        return TENDERS[name]
    except KeyError:
        raise ValueError(f"unknown tender '{name}' (known: {', '.join(TENDERS)})") from None


def guest_path(guest: str, target: str) -> Path:
    """build/tests/<guest>/<guest>.<target>; an AssertionError if not built."""
    path = GUESTS / guest / f"{guest}.{target}"
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2` (scripts/test does)"
    return path


def run(
    argv: Sequence[str | os.PathLike[str]],
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> GuestRun:
    """Runs argv with no stdin (and `env`, if given, as its whole environment);
    returns status and output, never raises on failure."""
    args = [os.fspath(a) for a in argv]
    try:
        proc = subprocess.run(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        return GuestRun(
            args,
            status=-1,
            stdout=_text(e.stdout),
            stderr=_text(e.stderr),
            timed_out=True,
        )
    # Popen reports death by signal N as -N; a shell (and the reference) as 128 + N.
    status = 128 - proc.returncode if proc.returncode < 0 else proc.returncode
    return GuestRun(args, status, _text(proc.stdout), _text(proc.stderr))


def run_guest(
    tender_name: str,
    guest: str,
    args: Sequence[str] = (),
    mem: int | None = None,
    tender_args: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> GuestRun:
    """Runs build/tests/<guest>/<guest>.<tender> on build/stage/bin/solo5-<tender>.

    `args` go to the guest (after the kernel), `tender_args` to the tender
    (before it); `mem` defaults to the tender's test default; `env`, if
    given, is the tender's whole environment.
    """
    t = tender(tender_name)
    assert t.binary.is_file(), f"{t.binary} is not built: run `scons -Q -j2`"
    kernel = guest_path(guest, t.name)
    size = t.mem if mem is None else mem
    return run([t.binary, f"--mem={size}", *tender_args, kernel, *args], timeout, env)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def wait_for_output(
    proc: subprocess.Popen[bytes], path: Path, marker: bytes, seconds: float = 15
) -> None:
    """Until the guest `proc`, whose output goes to `path`, has printed
    `marker`; fails the test with that output if it exits or takes longer."""
    deadline = time.monotonic() + seconds
    while marker not in path.read_bytes():
        assert proc.poll() is None and time.monotonic() < deadline, path.read_text()
        time.sleep(0.02)
