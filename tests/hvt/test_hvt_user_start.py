"""solo5-hvt starts our x86_64 guests at CPL3 (the user-start header).

Our hvt bindings begin at e_entry with a `jmp` over a struct hvt_user_start
(include/solo5/hvt_abi.h); solo5-hvt, which offers HVT_FEATURE_USER_MODE,
loads the header's GDT, IDT and TSS into the vCPU and starts the guest at
CPL3 at the header's entry, so that no CPL0 instruction runs at boot
(tenders/hvt/hvt_user_start_x86_64.c).  The bindings log, at debug level,
that they were started there.  Everything else about such a guest (traps,
TLS, hypercalls, rings) is what every other hvt test exercises, since every
guest of ours now starts this way on solo5-hvt.  Here: who starts where,
and what a broken header gets.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from support.guest import GuestRun, guest_path, run
from support.paths import BUILD, GUESTS

from solo5_toolchain import abi

from .hvt_env import HVT, requires_hvt

pytestmark = requires_hvt

STARTED_AT_CPL3 = "Solo5: hvt: started at CPL3"
CPL0_TENDER = BUILD / "tests" / "unit" / "hvt_cpl0_tender"
HVT_DEBUG = HVT.parent / "solo5-hvt-debug"
LEGACY_HELLO = GUESTS / "legacy" / "test_hello.hvt"
# struct hvt_user_start: magic, entry, gdt/idt/tss bases, their limits, 0.
HEADER = struct.Struct("<QQQQQHHHH")


def hello(tender: Path, kernel: Path) -> GuestRun:
    assert tender.is_file(), f"{tender} is not built: run `scons -Q -j2`"
    return run([tender, "--mem=2", "--", kernel, "--solo5:debug", "Hello_Solo5"])


def header_offset(kernel: Path) -> int:
    """File offset of the user-start header (e_entry + its offset)."""
    with kernel.open("rb") as f:
        elf = ELFFile(f)
        vaddr = elf.header["e_entry"] + abi.HVT_USER_START_OFFSET
        for seg in elf.iter_segments("PT_LOAD"):
            if seg["p_vaddr"] <= vaddr < seg["p_vaddr"] + seg["p_filesz"]:
                return int(seg["p_offset"] + vaddr - seg["p_vaddr"])
    raise AssertionError(f"{kernel}: e_entry is not in a loaded segment")


def read_header(kernel: Path) -> tuple[int, ...]:
    with kernel.open("rb") as f:
        f.seek(header_offset(kernel))
        return HEADER.unpack(f.read(HEADER.size))


def test_our_guest_carries_the_header() -> None:
    magic, entry, gdt, idt, tss, gdt_limit, idt_limit, tss_limit, zero = read_header(
        guest_path("test_hello", "hvt")
    )
    assert magic == abi.HVT_USER_START_MAGIC
    assert entry > 0 and gdt > 0 and idt > 0 and tss > 0 and zero == 0
    # The selectors of the contract fit in the GDT; a whole 64-bit TSS.
    assert gdt_limit >= abi.HVT_USER_START_SEL_TSS + 15 and tss_limit >= 0x67
    assert idt_limit == 48 * 16 - 1


def test_solo5_hvt_starts_our_guest_at_cpl3() -> None:
    result = hello(HVT, guest_path("test_hello", "hvt"))
    assert result.status == 0, result.describe()
    assert STARTED_AT_CPL3 in result.stdout, result.describe()
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    "tender",
    [
        pytest.param(CPL0_TENDER, id="tender-without-user-mode"),
        pytest.param(HVT_DEBUG, id="solo5-hvt-debug"),
    ],
)
def test_other_tenders_boot_it_at_e_entry(tender: Path) -> None:
    # Without user mode (as upstream's tenders) the jmp over the header is
    # the first instruction; solo5-hvt-debug keeps the ordinary boot so that
    # a breakpoint on _start is hit.
    result = hello(tender, guest_path("test_hello", "hvt"))
    assert result.status == 0, result.describe()
    assert STARTED_AT_CPL3 not in result.stdout, result.describe()
    assert "SUCCESS" in result.stdout


def test_a_guest_that_uses_no_feature_has_no_header() -> None:
    # tests/hvt/hvt_features_none.c: the magic is 0, solo5-hvt boots it at
    # e_entry and it stays at CPL0 (test_hvt_legacy.py has the rest).
    assert LEGACY_HELLO.is_file(), f"{LEGACY_HELLO} is not built: run `scons -Q -j2`"
    assert read_header(LEGACY_HELLO)[0] == 0
    result = hello(HVT, LEGACY_HELLO)
    assert result.status == 0, result.describe()
    assert STARTED_AT_CPL3 not in result.stdout, result.describe()


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        (1, 0xFFFF_FFFF_0000, "entry"),
        (2, 0xFFFF_FFFF_0000, "GDT"),
        (5, 0x10, "GDT"),
        (3, 0xFFFF_FFFF_0000, "IDT"),
        (7, 0x20, "TSS"),
        (8, 1, "reserved field"),
    ],
)
def test_a_broken_header_is_an_error(tmp_path: Path, field: int, value: int, what: str) -> None:
    kernel = tmp_path / "test_hello.hvt"
    shutil.copy(guest_path("test_hello", "hvt"), kernel)
    fields = list(read_header(kernel))
    fields[field] = value
    with kernel.open("r+b") as f:
        f.seek(header_offset(kernel))
        f.write(HEADER.pack(*fields))
    result = hello(HVT, kernel)
    assert result.status == 1, result.describe()
    assert result.stdout == "", result.describe()
    assert f"the guest's user-start header has a bad {what} " in result.stderr, result.describe()
    assert len(result.stderr.splitlines()) == 1, result.describe()
