"""Reading Solo5 notes out of unikernel ELF files.

The file is read the way the tenders read it (ref §4.4): the ELF header, the
program headers and the notes, with struct, and nothing else.  Section
headers are never looked at, so a file whose e_shoff is garbage answers here
exactly as it runs on a tender.  Only what is needed is read, whatever the
file's size (a sparse file of a terabyte costs what a small one does): the
ELF header, the program headers (at most 65535 x 56 bytes), the first
`_NAME_END` bytes of each PT_NOTE and, for the first Solo5 note of each type
elftool reads, at most that type's maximum descriptor size.

The notes themselves are found as the tenders find them: walk the PT_NOTE
segments, look at the first note of each, owner "Solo5", descriptor at the
aligned offset.  One difference, on purpose: an empty PT_NOTE (p_filesz 0,
what the linker leaves when a note is absent) is skipped, where upstream calls
it invalid.

Every failure is an ElfFileError whose message names the file.  This module
imports only the standard library's os, stat and struct: installed tools
import it at every start (docs/performance.md, "Toolchain").
"""

from __future__ import annotations

import os
import stat
import struct

from solo5_toolchain import abi, notes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    Reader = Callable[[int, int], bytes]  # (offset, size) -> at most size bytes

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_NOTE_HEADER = struct.Struct("<III")
_OWNER = abi.NOTE_OWNER.encode() + b"\0"
_NAME_END = abi.NOTE_HEADER_SIZE + abi.NOTE_NAME_PADDED

_ELFMAG = b"\x7fELF"
_ELFCLASS64 = 2
_ELFDATA2LSB = 1
_EV_CURRENT = 1
_ET_EXEC = 2
_PT_NOTE = 4
_PN_XNUM = 0xFFFF

# The notes elftool reads: type -> (largest descriptor, padding before it).
_NOTES = {
    abi.MFT1_NOTE_TYPE: (abi.MFT1_NOTE_MAX_SIZE, notes.MFT1_DESC_PADDING),
    abi.ABI1_NOTE_TYPE: (abi.ABI1_NOTE_MAX_SIZE, notes.ABI1_DESC_PADDING),
}

# How messages spell e_type and e_machine (the ELF specification's names);
# a value not listed is shown as its number.
_E_TYPES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE",
            0xFF00: "ET_LOPROC", 0xFFFF: "ET_HIPROC"}
_MACHINES = {0: "EM_NONE", 2: "EM_SPARC", 3: "EM_386", 4: "EM_68K", 8: "EM_MIPS",
             15: "EM_PARISC", 20: "EM_PPC", 21: "EM_PPC64", 22: "EM_S390", 40: "EM_ARM",
             42: "EM_SH", 43: "EM_SPARCV9", 50: "EM_IA_64", 62: "EM_X86_64",
             183: "EM_AARCH64", 243: "EM_RISCV", 247: "EM_BPF", 258: "EM_LOONGARCH"}


class ElfFileError(Exception):
    """A file that is not a readable Solo5 unikernel; the message names it."""


class NoteSegment:
    """A PT_NOTE program header: its index, size and the bytes read from it.

    `head` is the segment's first `_NAME_END` bytes (fewer if it is smaller);
    `desc` the bytes after them, read only for the first Solo5 note of each
    type in `_NOTES` (at most that type's maximum descriptor size)."""

    __slots__ = ("desc", "filesz", "head", "index")

    def __init__(self, index: int, filesz: int, head: bytes, desc: bytes = b"") -> None:
        self.index = index
        self.filesz = filesz
        self.head = head
        self.desc = desc


class Unikernel:
    """An ELF executable's PT_NOTE segments, as read from `path`."""

    __slots__ = ("note_segments", "path")

    def __init__(self, path: str, note_segments: tuple[NoteSegment, ...]) -> None:
        self.path = path
        self.note_segments = note_segments

    def error(self, message: str) -> ElfFileError:
        return ElfFileError(f"{self.path}: {message}")

    def find_note(self, note_type: int) -> bytes | None:
        """The descriptor (padding removed) of the first Solo5 note of
        `note_type` (a key of `_NOTES`), or None when no PT_NOTE starts
        with one."""
        max_size, padding = _NOTES[note_type]
        for seg in self.note_segments:
            where = f"phdr[{seg.index}]"
            if seg.filesz == 0:
                continue
            if seg.filesz < abi.NOTE_HEADER_SIZE:
                raise self.error(
                    f"{where}.p_filesz note does not fall within valid size "
                    f"({seg.filesz} < {abi.NOTE_HEADER_SIZE})"
                )
            if _solo5_note_type(seg.head) != note_type:
                continue
            descsz = _NOTE_HEADER.unpack_from(seg.head)[1]
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
            return seg.desc[padding:descsz]
        return None


def _solo5_note_type(head: bytes) -> int | None:
    """The type of the note starting with `head` if its owner is Solo5."""
    if len(head) < _NAME_END:
        return None
    namesz: int
    note_type: int
    namesz, _descsz, note_type = _NOTE_HEADER.unpack_from(head)
    if namesz != len(_OWNER) or head[abi.NOTE_HEADER_SIZE :][: len(_OWNER)] != _OWNER:
        return None
    return note_type


def _check_header(path: str, raw: bytes) -> tuple[int, int]:
    """e_phoff and e_phnum of the ELF header `raw`, if the tenders accept
    the header (ref §4.4)."""
    (ident, e_type, machine, version, _entry, phoff, _shoff, _flags, ehsize, phentsize,
     phnum, _shentsize, _shnum, _shstrndx) = _EHDR.unpack(raw)
    checks = (
        (ident[4] == _ELFCLASS64, "not a 64-bit ELF file"),
        (ident[5] == _ELFDATA2LSB, "not a little-endian ELF file"),
        (ident[6] == _EV_CURRENT and version == _EV_CURRENT, "unsupported ELF version"),
        (ehsize == _EHDR.size, f"e_ehsize is {ehsize}, not 64"),
        (phentsize == _PHDR.size, f"e_phentsize is {phentsize}, not 56"),
        (phnum >= 1, "no program headers"),
        (phnum != _PN_XNUM, "e_phnum is PN_XNUM: no usable program headers"),
        (e_type == _ET_EXEC, f"not an executable ({_E_TYPES.get(e_type, e_type)})"),
        (machine in abi.ELF_MACHINES,
         f"not an {' or '.join(abi.ELF_MACHINES.values())} executable "
         f"({_MACHINES.get(machine, machine)})"),
    )
    for ok, message in checks:
        if not ok:
            raise ElfFileError(f"{path}: invalid executable: {message}")
    return phoff, phnum


def _read(path: str, size: int, read: Reader) -> Unikernel:
    """Check the ELF header and read the PT_NOTE segments of a `size`-byte
    file through `read`."""
    if read(0, min(size, len(_ELFMAG))) != _ELFMAG:
        raise ElfFileError(f"{path}: not an ELF file")
    if size < _EHDR.size:
        raise ElfFileError(f"{path}: invalid executable: ELF header is truncated ({size} bytes)")
    phoff, phnum = _check_header(path, read(0, _EHDR.size))
    if phoff + phnum * _PHDR.size > size:
        raise ElfFileError(f"{path}: invalid executable: program headers beyond end of file")
    notes_at = []
    for index, phdr in enumerate(_PHDR.iter_unpack(read(phoff, phnum * _PHDR.size))):
        p_type, _flags, p_offset, _vaddr, _paddr, p_filesz, _memsz, _align = phdr
        if p_type != _PT_NOTE:
            continue
        if p_offset + p_filesz > size:
            raise ElfFileError(
                f"{path}: invalid executable: phdr[{index}] extends beyond end of file"
            )
        notes_at.append((index, p_offset, p_filesz))
    return Unikernel(path, tuple(_read_notes(notes_at, read)))


def _read_notes(notes_at: list[tuple[int, int, int]], read: Reader) -> list[NoteSegment]:
    """The PT_NOTEs at (index, offset, size): each one's head, and the
    descriptor bytes of the first Solo5 note of each type elftool reads."""
    wanted = dict(_NOTES)
    segments = []
    for index, offset, filesz in notes_at:
        head = read(offset, min(filesz, _NAME_END))
        note_type = _solo5_note_type(head)
        desc = b""
        if note_type in wanted:
            max_size = wanted.pop(note_type)[0]
            descsz = _NOTE_HEADER.unpack_from(head)[1]
            desc = read(offset + _NAME_END, min(descsz, filesz - _NAME_END, max_size))
        segments.append(NoteSegment(index, filesz, head, desc))
    return segments


def parse(path: str, data: bytes) -> Unikernel:
    """Check the ELF header and read the PT_NOTE segments of `data`, the
    contents of the file `path`."""
    return _read(path, len(data), lambda offset, size: data[offset : offset + size])


def load(path: str) -> Unikernel:
    """Read the unikernel at `path`: only the parts `parse` reads."""
    try:
        # Non-blocking: a FIFO must not hang the open; then only a regular
        # file is read (not /dev/zero, not a FIFO), as the tenders insist.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise ElfFileError(f"{path}: Could not open: {error.strerror or error}") from None
    try:
        return load_fd(path, fd)
    finally:
        os.close(fd)


def load_fd(path: str, fd: int) -> Unikernel:
    """Read the unikernel open at `fd` (named `path` in messages): only the
    parts `parse` reads.  For callers that opened it themselves (solo5-oci
    resolves it inside a container's files)."""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ElfFileError(f"{path}: Could not open: not a regular file")
        return _read(path, st.st_size, lambda offset, size: _pread(path, fd, offset, size))
    except OSError as error:
        raise ElfFileError(f"{path}: Could not read: {error.strerror or error}") from None


def _pread(path: str, fd: int, offset: int, size: int) -> bytes:
    """`size` bytes at `offset`, all of which the file's size says exist."""
    data = os.pread(fd, size, offset)
    if len(data) != size:  # the file shrank under us
        raise ElfFileError(f"{path}: invalid executable: file truncated while being read")
    return data


def read_manifest(unikernel: Unikernel) -> list[notes.MftEntry]:
    """The validated manifest entries of `unikernel` (reserved entry included)."""
    desc = unikernel.find_note(abi.MFT1_NOTE_TYPE)
    if desc is None:
        raise unikernel.error("No Solo5 manifest found in executable")
    try:
        return notes.decode_mft(desc)
    except notes.NoteError as error:
        raise unikernel.error(f"Manifest validation failed: {error}") from None


def read_abi(unikernel: Unikernel) -> notes.Abi1Info:
    """The ABI1 descriptor of `unikernel`."""
    desc = unikernel.find_note(abi.ABI1_NOTE_TYPE)
    if desc is None:
        raise unikernel.error("No Solo5 ABI information found in executable")
    try:
        return notes.decode_abi1(desc)
    except notes.NoteError as error:
        raise unikernel.error(f"invalid ABI note: {error}") from None
