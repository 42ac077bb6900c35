"""A tender fails closed when a step of entering the guest fails (issue 14's
review).

solo5-spt's launch code (tenders/spt/spt_launch_code_x86_64.S) clears the FS
and GS bases, unmaps the tender and installs the filters, from guest memory,
after the tender's last line of C; solo5-hvt installs its filter before the
first KVM_RUN.  Here each of those system calls fails in turn
(build/tests/unit/syscall_deny: an inherited seccomp filter answering EPERM
to that one call): the tender must end with status 1 and one line, and the
guest must never run.
"""

from __future__ import annotations

import pytest
from support.guest import GuestRun, guest_path, run, tender, tenders_under_test
from support.paths import BUILD

from solo5_toolchain import abi

DENY = BUILD / "tests" / "unit" / "syscall_deny"
MEM = 2
USER_TOP = 0x7FFFFFFFF000  # tenders/spt/spt_launch_x86_64.c
SECCOMP_SET_MODE_FILTER = 1
SPT_FAILED = (
    "solo5-spt: entering the guest failed: clearing the FS/GS bases, unmapping "
    "the tender or installing its filters failed\n"
)

# (system call, [argument number, value]): each step of solo5-spt's launch.
SPT_STEPS = {
    "clear the FS and GS bases": ["arch_prctl", "1", "0"],
    "unmap below guest memory": ["munmap", "1", str(abi.SPT_HOST_MEM_BASE)],
    "unmap above guest memory": ["munmap", "1", str(USER_TOP - (MEM << 20))],
    "install the filters": ["seccomp", "0", str(SECCOMP_SET_MODE_FILTER)],
}


def run_denied(tender_name: str, deny: list[str]) -> GuestRun:
    if not DENY.is_file():
        pytest.fail(f"{DENY} is not built: run `scons -Q -j2`")
    t = tender(tender_name)
    argv = [t.binary, f"--mem={MEM}", guest_path("test_hello", t.name), "Hello_Solo5"]
    return run([DENY, *deny, "--", *argv])


@pytest.mark.parametrize("step", SPT_STEPS)
def test_spt_launch_step_failing_ends_the_tender(step: str) -> None:
    result = run_denied("spt", SPT_STEPS[step])
    assert result.status == 1, result.describe()
    assert result.stderr == SPT_FAILED, result.describe()
    assert result.stdout == "", result.describe()  # the guest never ran


@pytest.mark.skipif("hvt" not in tenders_under_test(), reason="solo5-hvt is not built")
def test_hvt_filter_failing_ends_the_tender() -> None:
    result = run_denied("hvt", ["seccomp", "0", str(SECCOMP_SET_MODE_FILTER)])
    assert result.status == 1, result.describe()
    assert "seccomp filter: Operation not permitted" in result.stderr, result.describe()
    assert result.stderr.count("\n") == 1, result.describe()
    assert result.stdout == "", result.describe()
