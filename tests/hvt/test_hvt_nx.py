"""solo5-hvt's no-execute mapping, 4 KiB-precise across 2 MiB pages.

Hand-assembled hvt unikernels (tests/support/elfgen.py, no bindings, so
the guest runs at CPL0 with the tender's initial state and no IDT): a text
segment from 0x100000 that ends one page into the second 2 MiB page, a data
page right after it (the same, "mixed", 2 MiB page: the tender gives it a
4 KiB page table) and a data page alone in the third 2 MiB page.  The same
HALT(7) code sits at the start of the last text page and of both data pages;
the entry jumps to one of them.  Text must run; data must not: with NX the
fetch is a #PF, which without an IDT is a triple fault the tender reports.
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
TEXT_LAST_PAGE = 2 * MIB + TEXT_BASE  # 0x300000: in the second 2 MiB page
DATA_MIXED = TEXT_LAST_PAGE + PAGE  # same 2 MiB page, not executable
DATA_ALONE = 4 * MIB  # a 2 MiB page with no executable byte

# push $7; push $0 (struct hvt_hc_halt: cookie 0, exit_status 7 on the stack);
# mov %esp,%eax; mov $0x508,%edx; out %eax,(%dx); hlt
HALT7 = b"\x6a\x07\x6a\x00\x89\xe0\xba\x08\x05\x00\x00\xef\xf4"


def jump_to(target: int) -> bytes:
    """mov $target,%eax; jmp *%rax"""
    return b"\xb8" + struct.pack("<I", target) + b"\xff\xe0"


def nx_guest(target: int) -> bytes:
    text = bytearray(TEXT_LAST_PAGE + PAGE - TEXT_BASE)
    entry = jump_to(target)
    text[: len(entry)] = entry
    last = TEXT_LAST_PAGE - TEXT_BASE
    text[last : last + len(HALT7)] = HALT7
    return Elf(
        [
            Segment(PT_LOAD, PF_R | PF_X, TEXT_BASE, bytes(text)),
            Segment(PT_LOAD, PF_R | PF_W, DATA_MIXED, HALT7),
            Segment(PT_LOAD, PF_R | PF_W, DATA_ALONE, HALT7),
            *hvt_notes(),
        ]
    ).build()


def run_nx_guest(tmp_path: Path, target: int) -> tuple[int, str]:
    kernel = tmp_path / f"nx_{target:x}.hvt"
    kernel.write_bytes(nx_guest(target))
    result = run([HVT, "--mem=8", kernel])
    return result.status, result.stderr


def test_code_in_the_last_text_page_of_a_mixed_2_mib_page_runs(tmp_path: Path) -> None:
    status, stderr = run_nx_guest(tmp_path, TEXT_LAST_PAGE)
    assert (status, stderr) == (7, "")


@pytest.mark.parametrize("target", [DATA_MIXED, DATA_ALONE], ids=["mixed-2mib", "data-2mib"])
def test_code_in_data_does_not_run(tmp_path: Path, target: int) -> None:
    status, stderr = run_nx_guest(tmp_path, target)
    assert status == 1, stderr
    assert "(shutdown: the guest triple-faulted)" in stderr, stderr
