"""Reading Solo5 notes out of unikernel ELF files.

pyelftools parses the ELF and program headers; the notes themselves are found
the way the tenders find them (ref §4.4), so that elftool reports what a tender
would load: walk the PT_NOTE segments, look at the first note of each, owner
"Solo5", descriptor at the aligned offset.  One difference, on purpose: an
empty PT_NOTE (p_filesz 0, what the linker leaves when a note is absent) is
skipped, where upstream calls it invalid.

Every failure is an ElfFileError whose message names the file; pyelftools and
struct exceptions never escape.
"""

from __future__ import annotations

import io
import os
import stat
import struct
from dataclasses import dataclass

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from solo5_toolchain import abi, notes

_NOTE_HEADER = struct.Struct("<III")
_OWNER = abi.NOTE_OWNER.encode() + b"\0"
_NAME_END = abi.NOTE_HEADER_SIZE + abi.NOTE_NAME_PADDED

# What the tenders accept (x86_64 hosts).
_EHDR_SIZE = 64
_PHDR_SIZE = 56


class ElfFileError(Exception):
    """A file that is not a readable Solo5 unikernel; the message names it."""


@dataclass(frozen=True)
class NoteSegment:
    """A PT_NOTE program header: its index and file extent."""

    index: int
    offset: int
    filesz: int


@dataclass(frozen=True)
class Unikernel:
    """An ELF executable read into memory, with its PT_NOTE segments."""

    path: str
    data: bytes
    note_segments: tuple[NoteSegment, ...]

    def error(self, message: str) -> ElfFileError:
        return ElfFileError(f"{self.path}: {message}")

    def find_note(self, note_type: int, max_size: int, padding: int) -> bytes | None:
        """The descriptor (padding removed) of the first Solo5 note of
        `note_type`, or None when no PT_NOTE starts with one."""
        for seg in self.note_segments:
            where = f"phdr[{seg.index}]"
            if seg.filesz == 0:
                continue
            if seg.filesz < abi.NOTE_HEADER_SIZE:
                raise self.error(
                    f"{where}.p_filesz note does not fall within valid size "
                    f"({seg.filesz} < {abi.NOTE_HEADER_SIZE})"
                )
            if seg.filesz < _NAME_END:
                continue
            namesz, descsz, found_type = _NOTE_HEADER.unpack_from(self.data, seg.offset)
            name = self.data[seg.offset + abi.NOTE_HEADER_SIZE :][: len(_OWNER)]
            if namesz != len(_OWNER) or name != _OWNER or found_type != note_type:
                continue
            if not 1 <= descsz <= max_size:
                raise self.error(f"{where}: note descsz {descsz} is not within 1..{max_size}")
            if seg.filesz < _NAME_END + descsz:
                raise self.error(
                    f"{where}: note descriptor ({descsz} bytes) does not fall within "
                    f"the segment ({seg.filesz} bytes)"
                )
            if descsz < padding:
                raise self.error(
                    f"{where}: note descsz {descsz} is smaller than its alignment "
                    f"padding ({padding})"
                )
            start = seg.offset + _NAME_END
            return self.data[start + padding : start + descsz]
        return None


def _check_header(path: str, elf: ELFFile) -> None:
    header = elf.header
    ident = header["e_ident"]
    checks = (
        (elf.elfclass == 64, "not a 64-bit ELF file"),
        (elf.little_endian, "not a little-endian ELF file"),
        (ident["EI_VERSION"] == "EV_CURRENT" and header["e_version"] == "EV_CURRENT",
         "unsupported ELF version"),
        (header["e_ehsize"] == _EHDR_SIZE, f"e_ehsize is {header['e_ehsize']}, not 64"),
        (header["e_phentsize"] == _PHDR_SIZE,
         f"e_phentsize is {header['e_phentsize']}, not 56"),
        (header["e_phnum"] >= 1, "no program headers"),
        (header["e_type"] == "ET_EXEC", f"not an executable ({header['e_type']})"),
        (header["e_machine"] == "EM_X86_64",
         f"not an x86_64 executable ({header['e_machine']})"),
    )
    for ok, message in checks:
        if not ok:
            raise ElfFileError(f"{path}: invalid executable: {message}")


def parse(path: str, data: bytes) -> Unikernel:
    """Check the ELF header and collect the PT_NOTE segments of `data`."""
    if not data.startswith(b"\x7fELF"):
        raise ElfFileError(f"{path}: not an ELF file")
    segments: list[NoteSegment] = []
    try:
        elf = ELFFile(io.BytesIO(data))
        _check_header(path, elf)
        phoff, phnum = elf.header["e_phoff"], elf.header["e_phnum"]
        if phoff + phnum * _PHDR_SIZE > len(data):
            raise ElfFileError(f"{path}: invalid executable: program headers beyond end of file")
        for index in range(phnum):
            phdr = elf.get_segment(index).header
            if phdr["p_type"] != "PT_NOTE":
                continue
            if phdr["p_offset"] + phdr["p_filesz"] > len(data):
                raise ElfFileError(
                    f"{path}: invalid executable: phdr[{index}] extends beyond end of file"
                )
            segments.append(NoteSegment(index, phdr["p_offset"], phdr["p_filesz"]))
    except (ELFError, struct.error, ValueError, KeyError, IndexError, EOFError) as error:
        raise ElfFileError(f"{path}: invalid executable: {error or type(error).__name__}") \
            from None
    return Unikernel(path, data, tuple(segments))


def load(path: str) -> Unikernel:
    """Read and parse the unikernel at `path`."""
    try:
        # Non-blocking: a FIFO must not hang the open; then only a regular
        # file is read (not /dev/zero, not a FIFO), as the tenders insist.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise ElfFileError(f"{path}: Could not open: not a regular file")
            data = stream.read()
    except OSError as error:
        raise ElfFileError(f"{path}: Could not open: {error.strerror or error}") from None
    return parse(path, data)


def read_manifest(unikernel: Unikernel) -> list[notes.MftEntry]:
    """The validated manifest entries of `unikernel` (reserved entry included)."""
    desc = unikernel.find_note(
        abi.MFT1_NOTE_TYPE, abi.MFT1_NOTE_MAX_SIZE, notes.MFT1_DESC_PADDING
    )
    if desc is None:
        raise unikernel.error("No Solo5 manifest found in executable")
    try:
        return notes.decode_mft(desc)
    except notes.NoteError as error:
        raise unikernel.error(f"Manifest validation failed: {error}") from None


def read_abi(unikernel: Unikernel) -> notes.Abi1Info:
    """The ABI1 descriptor of `unikernel`."""
    desc = unikernel.find_note(
        abi.ABI1_NOTE_TYPE, abi.ABI1_NOTE_MAX_SIZE, notes.ABI1_DESC_PADDING
    )
    if desc is None:
        raise unikernel.error("No Solo5 ABI information found in executable")
    try:
        return notes.decode_abi1(desc)
    except notes.NoteError as error:
        raise unikernel.error(f"invalid ABI note: {error}") from None
