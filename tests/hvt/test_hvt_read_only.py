"""solo5-hvt's read-only segments: the guest's page tables, 4 KiB-precise.

The tender maps read-only ELF segments read-only in the guest's page tables
and leaves the host mapping writable (tenders/hvt/hvt_cpu_x86_64.c; why:
docs/performance.md, "Round 4").  Hand-assembled hvt unikernels
(tests/support/elfgen.py, no bindings: the guest runs at CPL0, where CR0.WP
makes the read-only entries bind, with no IDT) write one word and halt with
status 7.  Written into a read-only page, the #PF is a triple fault that the
tender reports; written into a writable page next to one, the guest halts.

Read-only pages sit in the first 2 MiB (the tender's own 4 KiB table), in
2 MiB pages that mix them with writable ones (a spare 4 KiB table each), and
in a 2 MiB page of their own.  With more mixed 2 MiB pages than spare tables
the last gets a writable 2 MiB page and the host maps its read-only page
read-only instead: the write is then the tender's translation fault.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from support.elfgen import PT_LOAD, TEXT_BASE, Elf, Segment, hvt_notes
from support.guest import run

from solo5_toolchain.targets import PF_R, PF_W, PF_X

from .hvt_env import HVT, requires_hvt

pytestmark = requires_hvt

MIB = 1 << 20
PAGE = 0x1000
SPARE_TABLES = 7  # 0x9000-0xffff in hvt_cpu_x86_64.c
MIXED = SPARE_TABLES + 1  # one mixed 2 MiB page more than there are tables
RO_LOW = TEXT_BASE + PAGE  # in the first 2 MiB
RO_ALONE = 2 * MIB  # a whole 2 MiB page of read-only data
MEM_MIB = 2 * (MIXED + 3)

# push $7; push $0 (struct hvt_hc_halt: cookie 0, exit_status 7 on the stack);
# mov %esp,%eax; mov $0x508,%edx; out %eax,(%dx); hlt
HALT7 = b"\x6a\x07\x6a\x00\x89\xe0\xba\x08\x05\x00\x00\xef\xf4"


def mixed_ro(n: int) -> int:
    """The read-only page of the n-th mixed 2 MiB page (1-based)."""
    return (n + 2) * 2 * MIB


def write_then_halt(target: int) -> bytes:
    """mov $target,%eax; movl $1,(%rax); then HALT7."""
    return b"\xb8" + struct.pack("<I", target) + b"\xc7\x00\x01\x00\x00\x00" + HALT7


def read_only_guest(target: int) -> bytes:
    segments = [
        Segment(PT_LOAD, PF_R | PF_X, TEXT_BASE, write_then_halt(target)),
        Segment(PT_LOAD, PF_R, RO_LOW, b"\x01"),
        Segment(PT_LOAD, PF_R, RO_ALONE, b"\x01", memsz=2 * MIB),
    ]
    for n in range(1, MIXED + 1):
        segments.append(Segment(PT_LOAD, PF_R, mixed_ro(n), b"\x01"))
        segments.append(Segment(PT_LOAD, PF_R | PF_W, mixed_ro(n) + PAGE, b"\x01"))
    segments += hvt_notes()
    return Elf(segments).build()


def run_guest_writing(tmp_path: Path, target: int) -> tuple[int, str]:
    kernel = tmp_path / f"ro_{target:x}.hvt"
    kernel.write_bytes(read_only_guest(target))
    result = run([HVT, f"--mem={MEM_MIB}", kernel])
    return result.status, result.stderr


@pytest.mark.parametrize(
    "target",
    [RO_LOW, RO_ALONE + MIB, mixed_ro(1), mixed_ro(SPARE_TABLES)],
    ids=["first-2mib", "2mib-page", "mixed-2mib", "last-spare-table"],
)
def test_a_write_to_a_read_only_page_faults(tmp_path: Path, target: int) -> None:
    status, stderr = run_guest_writing(tmp_path, target)
    assert status == 1, stderr
    assert "(shutdown: the guest triple-faulted)" in stderr, stderr


@pytest.mark.parametrize(
    "target",
    [RO_LOW + PAGE, mixed_ro(1) + PAGE, mixed_ro(1) + 2 * PAGE, mixed_ro(MIXED) + PAGE],
    ids=["first-2mib", "mixed-2mib", "mixed-2mib-beyond", "no-table-left"],
)
def test_a_write_next_to_a_read_only_page_succeeds(tmp_path: Path, target: int) -> None:
    assert run_guest_writing(tmp_path, target) == (7, "")


def test_with_no_table_left_the_host_keeps_the_page_read_only(tmp_path: Path) -> None:
    status, stderr = run_guest_writing(tmp_path, mixed_ro(MIXED))
    assert status == 1, stderr
    assert "host/guest translation fault" in stderr, stderr
    assert f"addr={mixed_ro(MIXED):#x}" in stderr, stderr
