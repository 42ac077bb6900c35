"""Finding notes in ELF files the way the tenders do (ref §4.4), on crafted files."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toolchain_helpers import ET_DYN, PT_LOAD, PT_NOTE, Segment, build_elf

from solo5_toolchain import abi, elf, manifest, notes

MFT = manifest.Manifest((manifest.Device("net0", "NET_BASIC"),))
MFT_NOTE = notes.encode_mft1_note(MFT)
ABI_NOTE = notes.encode_abi1_note(notes.Abi1Info(1, 2))
OPENBSD_NOTE = struct.pack("<III", 8, 4, 1) + b"OpenBSD\0" + bytes(4)


def unikernel(*segments: Segment, **kwargs: int) -> elf.Unikernel:
    return elf.parse("uk", build_elf([Segment(PT_LOAD, b"\x90" * 16), *segments], **kwargs))


def elf_error(*segments: Segment, **kwargs: int) -> str:
    with pytest.raises(elf.ElfFileError) as info:
        uk = unikernel(*segments, **kwargs)
        elf.read_manifest(uk)
    return str(info.value)


def test_notes_in_their_own_segments() -> None:
    uk = unikernel(Segment(PT_NOTE, OPENBSD_NOTE), Segment(PT_NOTE, ABI_NOTE),
                   Segment(PT_NOTE, MFT_NOTE))
    assert [(e.name, e.type_name) for e in elf.read_manifest(uk)[1:]] == [("net0", "NET_BASIC")]
    assert elf.read_abi(uk) == notes.Abi1Info(1, 2)


def test_only_the_first_note_of_a_segment_counts() -> None:
    uk = unikernel(Segment(PT_NOTE, ABI_NOTE + MFT_NOTE))
    assert elf.read_abi(uk).target_name == "hvt"
    with pytest.raises(elf.ElfFileError, match=r"^uk: No Solo5 manifest found in executable$"):
        elf.read_manifest(uk)


def test_no_abi_note() -> None:
    uk = unikernel(Segment(PT_NOTE, MFT_NOTE))
    with pytest.raises(elf.ElfFileError,
                       match=r"^uk: No Solo5 ABI information found in executable$"):
        elf.read_abi(uk)


def test_empty_pt_note_is_skipped() -> None:
    # What ld leaves for an absent note; upstream errors out on it.
    uk = unikernel(Segment(PT_NOTE, b""), Segment(PT_NOTE, MFT_NOTE))
    assert len(elf.read_manifest(uk)) == 2


def test_short_pt_note_is_an_error() -> None:
    assert elf_error(Segment(PT_NOTE, bytes(11)), Segment(PT_NOTE, MFT_NOTE)) == (
        "uk: phdr[1].p_filesz note does not fall within valid size (11 < 12)"
    )


def test_pt_note_shorter_than_a_solo5_header_is_skipped() -> None:
    uk = unikernel(Segment(PT_NOTE, bytes(16)), Segment(PT_NOTE, MFT_NOTE))
    assert len(elf.read_manifest(uk)) == 2


def test_buggy_descsz_smaller_than_padding() -> None:
    note = struct.pack("<III", 6, 3, abi.MFT1_NOTE_TYPE) + b"Solo5\0\0\0" + bytes(4)
    assert "note descsz 3 is smaller than its alignment padding (4)" in elf_error(
        Segment(PT_NOTE, note)
    )


def test_descsz_beyond_the_segment() -> None:
    assert "does not fall within the segment" in elf_error(Segment(PT_NOTE, MFT_NOTE[:-8]))


def test_descsz_too_large() -> None:
    note = struct.pack("<III", 6, 7000, abi.MFT1_NOTE_TYPE) + b"Solo5\0\0\0" + bytes(7000)
    assert "note descsz 7000 is not within 1..6668" in elf_error(Segment(PT_NOTE, note))


def test_invalid_manifest_content() -> None:
    bad = bytearray(MFT_NOTE)
    bad[24] = 2  # version
    assert elf_error(Segment(PT_NOTE, bytes(bad))) == (
        "uk: Manifest validation failed: manifest version 2, expected 1"
    )


def test_segment_past_end_of_file() -> None:
    assert elf_error(Segment(PT_NOTE, MFT_NOTE, filesz=100000)) == (
        "uk: invalid executable: phdr[1] extends beyond end of file"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"e_type": ET_DYN}, "uk: invalid executable: not an executable (ET_DYN)"),
        ({"machine": 21}, "uk: invalid executable: not an x86_64 or aarch64 executable (EM_PPC64)"),
        ({"elfclass": 1}, "uk: invalid executable"),
    ],
)
def test_header_checks(kwargs: dict[str, int], message: str) -> None:
    assert elf_error(Segment(PT_NOTE, MFT_NOTE), **kwargs).startswith(message)


def test_not_elf() -> None:
    with pytest.raises(elf.ElfFileError, match=r"^x: not an ELF file$"):
        elf.parse("x", b"#!/bin/sh\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(elf.ElfFileError, match="nope: Could not open: No such file"):
        elf.load(str(tmp_path / "nope"))


@settings(max_examples=300)
@given(st.integers(0, 400), st.binary(min_size=1, max_size=8))
def test_truncated_or_corrupt_files_give_one_clean_error(cut: int, junk: bytes) -> None:
    data = bytearray(build_elf([Segment(PT_NOTE, ABI_NOTE), Segment(PT_NOTE, MFT_NOTE)]))
    data[cut % len(data) : cut % len(data) + len(junk)] = junk
    for candidate in (bytes(data), bytes(data[:cut])):
        try:
            uk = elf.parse("f", candidate)
            elf.read_manifest(uk)
            elf.read_abi(uk)
        except elf.ElfFileError as error:
            assert str(error).startswith("f: ")
