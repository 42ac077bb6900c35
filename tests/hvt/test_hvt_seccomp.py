"""solo5-hvt's seccomp policy (tenders/hvt/hvt_seccomp.c) is in force while the guest runs.

The guest test_time sleeps in POLL for about five seconds, so the tender is
found asleep in epoll_pwait.  Then:

* /proc shows the filter (Seccomp: 2 = filter mode);
* the tender is made to issue one system call (syscall_inject: ptrace
  rewrites its registers so that it re-executes its own `syscall`
  instruction): a call the policy forbids, or an allowed call with
  arguments the policy forbids, kills it with SIGSYS (status 159); an
  allowed call with allowed arguments does not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.guest import STATUS_SIGSYS, guest_path

from .hvt_env import HVT, requires_hvt
from .syscall_inject import inject_syscall

pytestmark = [
    requires_hvt,
    pytest.mark.skipif(os.geteuid() != 0, reason="ptrace of the tender needs root here"),
]

SYS_read = 0
SYS_write = 1
SYS_ioctl = 16
SYS_recvfrom = 45
SYS_getpid = 39
SYS_ftruncate = 77
SYS_clock_gettime = 228
CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1
KVM_RUN = 0xAE80
KVM_SET_REGS = 0x4090AE82
KVM_CREATE_VCPU = 0xAE41
KVM_GET_SREGS = 0x8138AE83
KVM_SET_USER_MEMORY_REGION = 0x4020AE46
MSG_DONTWAIT = 0x40
# solo5-hvt-debug's fixed fds (tenders/hvt/hvt_debug.h).
DEBUG_FD_VCPU, DEBUG_FD_GDB, DEBUG_FD_CORE = 500, 501, 504


@contextmanager
def sleeping_tender(
    tender: Path = HVT, options: Sequence[str] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """solo5-hvt running test_time, returned once its guest sleeps in POLL."""
    proc = subprocess.Popen(
        [tender, "--mem=2", *options, guest_path("test_time", "hvt")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        while b"Solo5 standalone test_time" not in proc.stdout.readline():
            assert proc.poll() is None, "the tender ended before its guest ran"
        time.sleep(0.3)  # well inside the first yield(now + 1 s)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def fd_of(pid: int, target: str) -> int:
    """The tender's fd whose /proc link is `target` (e.g. anon_inode:kvm-vcpu:0)."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
            return int(fd)
    raise AssertionError(f"no fd of {pid} links to {target}")


def status_after(proc: subprocess.Popen[bytes], nr: int, args: Sequence[int]) -> int:
    inject_syscall(proc.pid, nr, args)
    proc.wait(timeout=30)
    return 128 - proc.returncode if proc.returncode < 0 else proc.returncode


def test_filter_is_installed_while_the_guest_runs() -> None:
    with sleeping_tender() as proc:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
        )
        assert fields["Seccomp"].strip() == "2"
        assert fields["Seccomp_filters"].strip() == "1"
        assert fields["NoNewPrivs"].strip() == "1"


def test_unlisted_system_call_kills_the_tender() -> None:
    with sleeping_tender() as proc:
        assert status_after(proc, SYS_getpid, ()) == STATUS_SIGSYS
    assert proc.returncode == -signal.SIGSYS


@pytest.mark.parametrize(
    ("what", "nr", "args"),
    [
        ("KVM_CREATE_VCPU on the VM fd", SYS_ioctl, ("vm", KVM_CREATE_VCPU, 1)),
        ("KVM_SET_REGS on the vCPU fd", SYS_ioctl, ("vcpu", KVM_SET_REGS, 0)),
        ("KVM_RUN on the VM fd", SYS_ioctl, ("vm", KVM_RUN, 0)),
        ("write to stdin", SYS_write, (0, 0, 0)),
        ("read from stdin", SYS_read, (0, 0, 0)),
        ("clock_gettime(CLOCK_MONOTONIC)", SYS_clock_gettime, (CLOCK_MONOTONIC, 0)),
    ],
)
def test_forbidden_arguments_kill_the_tender(what: str, nr: int, args: tuple[object, ...]) -> None:
    with sleeping_tender() as proc:
        fds = {
            "vm": fd_of(proc.pid, "anon_inode:kvm-vm"),
            "vcpu": fd_of(proc.pid, "anon_inode:kvm-vcpu:0"),
        }
        values = [fds[a] if isinstance(a, str) else int(a) for a in args]  # type: ignore[call-overload]
        assert status_after(proc, nr, values) == STATUS_SIGSYS, what


def test_allowed_call_is_not_killed() -> None:
    """The control: clock_gettime(CLOCK_REALTIME, NULL) is allowed and fails with EFAULT.

    The tender's epoll_pwait wrapper then sees that failure as its own
    result: it reports it and exits 1 - alive until it chose to exit.
    """
    with sleeping_tender() as proc:
        status = status_after(proc, SYS_clock_gettime, (CLOCK_REALTIME, 0))
        _, err = proc.communicate(timeout=30)
    assert status == 1
    assert b"epoll_pwait: Bad address" in err


@pytest.mark.parametrize(
    ("mem", "fd", "status"),
    [
        # All of guest memory registered at start: no slot changes at all.
        ("--mem=2", "vm", STATUS_SIGSYS),
        # Memory on demand still to come (x86_64): on the VM fd only.
        ("--mem=64", "vm", 1),
        ("--mem=64", "vcpu", STATUS_SIGSYS),
    ],
)
def test_memory_slots_only_while_memory_on_demand_is_to_come(
    mem: str, fd: str, status: int
) -> None:
    """KVM_SET_USER_MEMORY_REGION (tenders/hvt/hvt_kvm_slot.c) with a NULL
    struct: allowed, it fails with EFAULT, which the tender's epoll_pwait
    wrapper reports as its own failure (status 1, as in the control above)."""
    with sleeping_tender(options=[mem]) as proc:
        fds = {
            "vm": fd_of(proc.pid, "anon_inode:kvm-vm"),
            "vcpu": fd_of(proc.pid, "anon_inode:kvm-vcpu:0"),
        }
        got = status_after(proc, SYS_ioctl, (fds[fd], KVM_SET_USER_MEMORY_REGION, 0))
    assert got == status


# solo5-hvt-debug adds to the filter only the rule tables of the options
# given (tenders/hvt/hvt_debug_main.c): with --dumpcore, dumpcore's and the
# register reads both modules share, not gdb's.  An allowed call on a
# closed fd or a NULL buffer fails, and the tender's epoll_pwait wrapper
# exits 1 on that failure; a forbidden one is SIGSYS.
@pytest.mark.parametrize(
    ("what", "nr", "args", "status"),
    [
        ("ftruncate of the core fd: dumpcore's", SYS_ftruncate, (DEBUG_FD_CORE, 0), 1),
        ("KVM_GET_SREGS: both modules'", SYS_ioctl, (DEBUG_FD_VCPU, KVM_GET_SREGS, 0), 1),
        ("KVM_SET_REGS: gdb's", SYS_ioctl, (DEBUG_FD_VCPU, KVM_SET_REGS, 0), STATUS_SIGSYS),
        (
            "recvfrom on the connection: gdb's",
            SYS_recvfrom,
            (DEBUG_FD_GDB, 0, 0, MSG_DONTWAIT, 0, 0),
            STATUS_SIGSYS,
        ),
    ],
)
def test_debug_filter_holds_the_given_modules_rules_only(
    tmp_path: Path, what: str, nr: int, args: tuple[int, ...], status: int
) -> None:
    debug = HVT.with_name("solo5-hvt-debug")
    with sleeping_tender(debug, [f"--dumpcore={tmp_path}"]) as proc:
        assert status_after(proc, nr, args) == status, what
