"""solo5-hvt with the test unikernels: hvt's own statuses (ref §6.3) and platform limits.

The cases shared with spt (hello, quiet, output, globals, tls, ssp, time, ...)
run on hvt in tests/integration as well; here are the hvt-specific
expectations: traps abort with their trap lines, writes to read-only
segments and executing data are a #PF (read-only and NX pages), and the
application runs at CPL3 (solo5-hvt offers HVT_FEATURE_USER_MODE), so page
faults carry the U bit and the FPU works even on kvm-pvm (docs/kvm-pvm.md).
The same guests at CPL0 (as on an upstream tender): test_hvt_cpl0.py;
guests that ignore the feature bits (as upstream's do): test_hvt_legacy.py.
"""

from __future__ import annotations

import os
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


# #PF error code bits.
PF_WRITE = 0x2
PF_USER = 0x4  # the access was made at CPL3
PF_FETCH = 0x10

PAGE_FAULTS = [
    # A write to 8 GiB: beyond the page tables.
    ("test_exception", PF_WRITE, 0x400000000),
    # A write to the zero page, which the page tables leave absent.
    ("test_zeropage", PF_WRITE, 0x8),
    # %fs:0x28 with a zero TLS base: a read in the zero page.
    ("test_notls", 0x0, 0x28),
]


@pytest.mark.parametrize(("guest", "error_code", "cr2"), PAGE_FAULTS)
def test_page_faults_abort_with_trap_lines(guest: str, error_code: int, cr2: int) -> None:
    # PF_USER: the application runs at CPL3.
    check_page_fault(hvt(guest), guest, error_code | PF_USER, cr2)


def test_trap_report_whole_with_direction_flag_set() -> None:
    """The application faults with DF set (its own backward copy, say):
    the trap entry clears it, so the report, copied with `rep movsb`
    (bindings_copy_x86_64.c) into the console ring, comes out whole."""
    check_page_fault(hvt("test_exception", "df"), "test_exception", PF_WRITE | PF_USER, 0x400000000)


def check_page_fault(result: GuestRun, guest: str, error_code: int, cr2: int) -> None:
    """The guest aborted on a #PF with this error code and cr2, reported by itself."""
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


@pytest.mark.parametrize("guest", ["test_xnow", "test_rnow"])
def test_write_to_read_only_segment_is_a_page_fault(guest: str) -> None:
    check_read_only(hvt(guest), guest, PF_USER)


def check_read_only(result: GuestRun, guest: str, user: int) -> None:
    """Writes into .text (xnow) and .rodata (rnow), which the tender's page
    tables map read-only (upstream: the host mapping, a tender error), are a
    #PF that the guest reports and aborts on: a present page, a write, at
    an address in the first 2 MiB, where the test's segments are."""
    assert result.status == STATUS_ABORT, result.describe()
    assert BANNER.format(guest) in result.stdout
    assert "FAILURE" not in result.stdout, result.describe()
    match = re.search(
        rf"Solo5: trap: type=#PF ec={0x1 | PF_WRITE | user:#x} rip=0x[0-9a-f]+ .*\n"
        r"Solo5: trap: cr2=(0x[0-9a-f]+)\n",
        result.stdout,
    )
    assert match is not None, result.describe()
    assert 0x100000 <= int(match.group(1), 16) < 2 << 20, result.describe()
    assert result.stderr == "", result.describe()


def test_execute_from_data_is_a_page_fault() -> None:
    """The tender maps every page without executable segment bytes NX."""
    check_nx(hvt("test_wnox"), PF_USER)


def check_nx(result: GuestRun, user: int) -> None:
    """test_wnox's call into .data faults on the fetch itself: cr2 == rip."""
    assert result.status == STATUS_ABORT, result.describe()
    assert "FAILURE" not in result.stdout, result.describe()
    match = re.search(
        rf"Solo5: trap: type=#PF ec={0x1 | PF_FETCH | user:#x} rip=(0x[0-9a-f]+) .*\n"
        r"Solo5: trap: cr2=(0x[0-9a-f]+)\n",
        result.stdout,
    )
    assert match is not None, result.describe()
    assert match.group(1) == match.group(2), result.describe()
    assert result.stderr == "", result.describe()


FPU_DIAGNOSIS = "this host's KVM cannot execute FPU/SSE instructions in guests"
# kvm-pvm runs CPL3 guest code natively: there the FPU must work (no skip).
KVM_PVM = os.path.exists("/sys/module/kvm_pvm")


def test_fpu() -> None:
    """SSE and x87 in the guest, which runs at CPL3: SUCCESS where KVM can run them.

    On kvm-pvm CPL0 cannot (docs/kvm-pvm.md §2) but CPL3 can, so the test
    must pass there.  Elsewhere, should a KVM not run them, the tender must
    say so in one line naming the instruction, and the case is skipped with
    that line.
    """
    result = hvt("test_fpu")
    if result.status == 1 and FPU_DIAGNOSIS in result.stderr and not KVM_PVM:
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


HEAP = re.compile(r"Solo5:       heap >= 0x([0-9a-f]+) < stack < 0x([0-9a-f]+)")
DATA = re.compile(r"Solo5:       data @ \(0x[0-9a-f]+ - 0x([0-9a-f]+)\)")
MIB = 1024 * 1024


@pytest.mark.parametrize(("mem", "aligned"), [(32, True), (4, False)])
def test_heap_starts_on_a_large_page_when_it_costs_little(mem: int, aligned: bool) -> None:
    """On hvt the heap starts at the next 2 MiB boundary above the kernel
    (a page the host backs with a huge page: one shadow-paging fault for
    2 MiB of fresh heap, not 512) when that leaves 7/8 of it, and right
    after the kernel otherwise (--mem=4: it would lose a third)."""
    result = hvt("test_hello", "Hello_Solo5", mem=mem)
    assert result.status == 0, result.describe()
    heap = HEAP.search(result.stdout)
    data = DATA.search(result.stdout)
    assert heap and data, result.describe()
    start, end = int(heap.group(1), 16), int(data.group(1), 16) + 1
    after_kernel = (end + 0xFFF) & ~0xFFF
    if aligned:
        assert start % (2 * MIB) == 0 and start - after_kernel < 2 * MIB, result.stdout
    else:
        assert start == after_kernel, result.stdout
