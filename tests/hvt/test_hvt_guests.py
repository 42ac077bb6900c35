"""solo5-hvt with the test unikernels: hvt's own statuses (ref §6.3) and platform limits.

The cases shared with spt (hello, quiet, output, globals, tls, ssp, time, ...)
run on hvt in tests/integration as well; here are the hvt-specific
expectations: traps abort with their trap lines, W^X violations are tender
errors, and what this host's KVM (kvm-pvm, docs/kvm-pvm.md) cannot do.
"""

from __future__ import annotations

import re

import pytest
from support.guest import STATUS_ABORT, GuestRun, run_guest

from .hvt_env import requires_hvt

pytestmark = requires_hvt

BANNER = "**** Solo5 standalone {} ****"


def hvt(guest: str, *args: str, mem: int | None = None) -> GuestRun:
    return run_guest("hvt", guest, list(args), mem=mem)


@pytest.mark.parametrize(
    ("guest", "args"),
    [
        ("test_hello", ("Hello_Solo5",)),
        ("test_quiet", ("--solo5:quiet",)),
        ("test_output", ()),
        ("test_globals", ()),
        ("test_tls", ()),
        ("test_time", ()),
    ],
)
def test_success(guest: str, args: tuple[str, ...]) -> None:
    result = hvt(guest, *args)
    assert result.status == 0, result.describe()
    assert BANNER.format(guest) in result.stdout
    assert "SUCCESS" in result.stdout and "FAILURE" not in result.stdout
    assert result.stderr == "", result.describe()


def test_quiet_prints_nothing_of_solo5() -> None:
    result = hvt("test_quiet", "--solo5:quiet")
    assert result.status == 0, result.describe()
    assert "Solo5:" not in result.output


@pytest.mark.parametrize(
    ("guest", "error_code", "cr2"),
    [
        # A write (error code bit 1) to 8 GiB: beyond the page tables.
        ("test_exception", 0x2, 0x400000000),
        # A write to the zero page, which the page tables leave absent.
        ("test_zeropage", 0x2, 0x8),
        # %fs:0x28 with a zero TLS base: a read in the zero page.
        ("test_notls", 0x0, 0x28),
    ],
)
def test_page_faults_abort_with_trap_lines(guest: str, error_code: int, cr2: int) -> None:
    result = hvt(guest)
    assert result.status == STATUS_ABORT, result.describe()
    assert BANNER.format(guest) in result.stdout
    assert f"Solo5: trap: type=#PF ec={error_code:#x} rip=0x" in result.stdout, result.describe()
    assert f"Solo5: trap: cr2={cr2:#x}" in result.stdout, result.describe()
    assert "Solo5: ABORT" in result.stdout
    assert "SUCCESS" not in result.stdout and "FAILURE" not in result.stdout
    # The guest halted normally (its HALT carried the trap frame): no tender error.
    assert result.stderr == "", result.describe()


def test_ssp_aborts() -> None:
    result = hvt("test_ssp")
    assert result.status == STATUS_ABORT, result.describe()
    assert "Solo5: ABORT: Stack corruption detected" in result.stdout


TRANSLATION_FAULT = re.compile(
    r"^solo5-hvt: KVM: host/guest translation fault: rip=0x[0-9a-f]+, "
    r"addr=(0x[0-9a-f]+) \(write to read-only guest memory\)$"
)


@pytest.mark.parametrize("guest", ["test_xnow", "test_rnow"])
def test_write_to_read_only_segment_is_a_translation_fault(guest: str) -> None:
    # Writes into .text (xnow) and .rodata (rnow), which the tender mapped
    # read-only in the host: KVM reports EFAULT, or (kvm-pvm) an MMIO exit.
    result = hvt(guest)
    assert result.status == 1, result.describe()
    assert BANNER.format(guest) in result.stdout
    match = TRANSLATION_FAULT.match(result.stderr.strip())
    assert match is not None, result.describe()
    assert 0x100000 <= int(match.group(1), 16) < 2 << 20
    assert "FAILURE" not in result.stdout


def test_execute_from_data_is_not_caught() -> None:
    """KVM does not enforce host X, and hvt's page tables (ref §2.2) set no NX bit.

    So the guest runs code from .data and reports it itself; documented in
    docs/kvm-pvm.md's W^X section.  If this ever starts to fault, update the
    docs and this test.
    """
    result = hvt("test_wnox")
    assert result.status == 1, result.describe()
    assert "FAILURE: code in .data was executed" in result.stdout, result.describe()
    assert result.stderr == ""


FPU_DIAGNOSIS = "this host's KVM cannot execute FPU/SSE instructions in guests"


def test_fpu() -> None:
    """SSE and x87 in the guest: SUCCESS where KVM can run them.

    kvm-pvm cannot (docs/kvm-pvm.md §2): then the tender must say so, in one
    line naming the instruction, and the case is skipped with that line.
    """
    result = hvt("test_fpu")
    if result.status == 1 and FPU_DIAGNOSIS in result.stderr:
        line = result.stderr.strip()
        assert re.fullmatch(
            r"solo5-hvt: KVM: internal error exit: suberror=0x1, rip=0x[0-9a-f]+, "
            r"instruction bytes: ([0-9a-f]{2} ){0,14}[0-9a-f]{2}: " + re.escape(FPU_DIAGNOSIS),
            line,
        ), result.describe()
        pytest.skip(f"this KVM cannot run FPU/SSE guests: {line}")
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("status", [0, 1, 42, 255])
def test_halt_status_is_the_exit_status(status: int) -> None:
    result = hvt("test_exit", str(status))
    assert result.status == status, result.describe()
