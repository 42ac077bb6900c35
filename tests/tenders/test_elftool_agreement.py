"""solo5-elftool reads what the tenders read: every file whose notes a
tender accepts, elftool answers for, with the same manifest and ABI.

The tender side is build/tests/unit/tender_elf_check (tenders/common's ELF
and note readers, as solo5-spt runs them); the elftool side is
solo5_toolchain.elf, which solo5-elftool runs.  The files are valid
unikernels with what a tender ignores made garbage (section headers,
PT_DYNAMIC, PT_INTERP) and a few hundred with random bytes changed.
"""

from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import pytest
from support import elfgen
from support.elfgen import CODE, Elf, Segment

from solo5_toolchain import elf

PT_DYNAMIC = 2
PT_INTERP = 3
SPT = elfgen.TARGETS["spt"]
DEVICES = [("storage", "BLOCK_BASIC"), ("service0", "NET_BASIC")]
# e_shoff, e_shentsize, e_shnum, e_shstrndx in the ELF header.
SH_FIELDS = {"e_shoff": (0x28, "<Q"), "e_shentsize": (0x3A, "<H"), "e_shnum": (0x3C, "<H"),
             "e_shstrndx": (0x3E, "<H")}
MUTANTS = 300


def guest(*extra: Segment) -> bytes:
    segments = elfgen.guest_segments(CODE["exit7"], mft=elfgen.mft_note(DEVICES))
    return Elf([*segments, *extra]).build()


def with_field(data: bytes, field: str, value: int) -> bytes:
    offset, fmt = SH_FIELDS[field]
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def ignored_by_tenders() -> dict[str, bytes]:
    """Valid unikernels with garbage where the tenders never look."""
    dynamic = guest(Segment(PT_DYNAMIC, elfgen.PF_R, 0, b"\xff" * 24, align=8))
    cases = {
        "dynamic": dynamic,
        "interp_beyond_eof": guest(Segment(PT_INTERP, elfgen.PF_R, 0, b"/x\0", offset=1 << 40)),
    }
    for base_name, base in (("plain", guest()), ("dynamic", dynamic)):
        for field, value in (("e_shoff", 0x7FFF_FFFF_FFFF), ("e_shoff", 1), ("e_shnum", 0xFFFF),
                             ("e_shstrndx", 0xFFF0), ("e_shentsize", 3)):
            cases[f"{base_name}_{field}_{value:#x}"] = with_field(base, field, value)
    return cases


def mutants() -> dict[str, bytes]:
    """Valid unikernels with a few random bytes changed (a fixed seed)."""
    rng = random.Random(20251205)
    bases = [guest(), guest(Segment(PT_DYNAMIC, elfgen.PF_R, 0, bytes(16), align=8))]
    cases = {}
    for index in range(MUTANTS):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.choice((0, 0xFF, rng.randrange(256)))
        cases[f"mutant{index}"] = bytes(data)
    return cases


def tender_view(harness: Path, path: Path) -> list[str] | None:
    """The manifest lines the tender printed, or None if it refused the file."""
    proc = subprocess.run(
        [str(harness), f"--target={SPT.abi_target}", f"--abi-version={SPT.abi_version}", path],
        capture_output=True, text=True, timeout=30, check=False,
    )
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or lines[-1:] != ["OK"]:
        return None
    return [line for line in lines if line.startswith("mft ")]


def elftool_view(path: Path) -> list[str]:
    """The same lines from solo5-elftool's reader (raises ElfFileError)."""
    unikernel = elf.load(str(path))
    info = elf.read_abi(unikernel)
    assert (info.target, info.version) == (SPT.abi_target, SPT.abi_version)
    names = {0: "RESERVED_FIRST"}
    return [f"mft {i} '{e.name}' {names.get(i, e.type_name)}"
            for i, e in enumerate(elf.read_manifest(unikernel))]


@pytest.mark.parametrize("name", sorted(ignored_by_tenders()))
def test_what_tenders_ignore_elftool_ignores(harness: Path, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.spt"
    path.write_bytes(ignored_by_tenders()[name])
    tender = tender_view(harness, path)
    assert tender is not None, f"the tender refuses {name}: the case is not what it claims"
    assert elftool_view(path) == tender


def test_every_file_a_tender_accepts_elftool_reads_alike(harness: Path, tmp_path: Path) -> None:
    accepted = 0
    for name, data in mutants().items():
        path = tmp_path / name
        path.write_bytes(data)
        tender = tender_view(harness, path)
        if tender is None:
            continue
        accepted += 1
        try:
            assert elftool_view(path) == tender, name
        except elf.ElfFileError as error:
            pytest.fail(f"{name}: the tender accepts it, elftool says: {error}")
    # Most single-byte changes hit code or padding: the comparison is not empty.
    assert accepted > MUTANTS // 4, accepted
