"""Generate small x86_64 ELF executables, valid and malformed, for the tests.

`Elf(...).build()` lays out an ELF header, program headers, segment data and
(optionally) section headers naming the Solo5 notes.  Notes are built from the
constants in toolchain/abi.py, so a change there is seen here too.

`CASES` is the malformed set: one `Case` per way a unikernel file can be
wrong, with the message a tender prints and which tools must reject it.
`guest(code)` is a valid spt unikernel whose text is hand-assembled x86_64
machine code from `CODE`: enough to test solo5-spt end to end without the
real bindings.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from solo5_toolchain import abi
from solo5_toolchain.targets import PF_R, PF_W, PF_X, TARGETS

PT_LOAD = 1
PT_NOTE = 4
ET_EXEC = 2
ET_DYN = 3
EM_X86_64 = 62
EM_AARCH64 = 183
EM_PPC64 = 21
EHDR_SIZE = 64
PHDR_SIZE = 56
SHDR_SIZE = 64
SHT_STRTAB = 3
SHT_NOTE = 7
TEXT_BASE = abi.GUEST_MIN_BASE
PAGE = abi.PAGE_SIZE


def _pad(data: bytes, align: int) -> bytes:
    return data + b"\0" * (-len(data) % align)


def note(
    owner: str, ntype: int, desc: bytes, desc_align: int = 4, descsz: int | None = None
) -> bytes:
    """One ELF note; the descriptor starts at the header rounded to desc_align.

    As in Solo5's notes, n_descsz counts the padding before the descriptor.
    """
    name = owner.encode() + b"\0"
    head_len = 12 + len(_pad(name, 4))
    pad = -head_len % desc_align
    size = pad + len(desc) if descsz is None else descsz
    head = struct.pack("<III", len(name), size, ntype) + _pad(name, 4)
    return _pad(head + b"\0" * pad + desc, 4)


def abi_note(
    target: int = TARGETS["spt"].abi_target,
    version: int = TARGETS["spt"].abi_version,
    descsz: int | None = None,
) -> bytes:
    desc = struct.pack("<IIII", target, version, 0, 0)
    return note(abi.NOTE_OWNER, abi.ABI1_NOTE_TYPE, desc, abi.ABI1_NOTE_ALIGN, descsz)


@dataclass
class MftEntry:
    name: bytes
    type: int
    attached: int = 0
    private: bytes = bytes(24)  # the u and b unions (zero on disk)


def mft_bytes(
    entries: list[MftEntry], version: int = abi.MFT_VERSION, count: int | None = None
) -> bytes:
    """struct mft: version, entries, then 104-byte entries."""
    out = struct.pack("<II", version, len(entries) if count is None else count)
    for e in entries:
        rec = e.name.ljust(abi.MFT_NAME_SIZE, b"\0")[: abi.MFT_NAME_SIZE]
        rec += struct.pack("<I", e.type) + e.private
        rec += bytes([e.attached]) + b"\0" * 7
        assert len(rec) == abi.MFT_ENTRY_SIZE
        out += rec
    return out


def reserved() -> MftEntry:
    return MftEntry(b"", abi.MFT_RESERVED_FIRST)


def mft_note(
    devices: list[tuple[str, str]] | None = None,
    *,
    entries: list[MftEntry] | None = None,
    version: int = abi.MFT_VERSION,
    count: int | None = None,
    descsz: int | None = None,
) -> bytes:
    """The MFT1 note for `devices` [(name, "BLOCK_BASIC"|"NET_BASIC")]."""
    if entries is None:
        entries = [reserved()] + [
            MftEntry(n.encode(), abi.DEVICE_TYPES[t]) for n, t in devices or []
        ]
    desc = mft_bytes(entries, version, count)
    return note(abi.NOTE_OWNER, abi.MFT1_NOTE_TYPE, desc, abi.MFT1_NOTE_ALIGN, descsz)


@dataclass
class Segment:
    p_type: int
    flags: int = PF_R
    vaddr: int = 0
    data: bytes = b""
    memsz: int | None = None  # default: len(data)
    align: int = PAGE
    section: str | None = None  # a section header naming it (notes)
    offset: int | None = None  # raw overrides, for malformed files
    filesz: int | None = None


@dataclass
class Elf:
    segments: list[Segment]
    entry: int = TEXT_BASE
    e_type: int = ET_EXEC
    machine: int = EM_X86_64
    ei_class: int = 2
    ei_data: int = 1
    version: int = 1  # EI_VERSION, and e_version unless given below
    e_version: int | None = None
    ehsize: int = EHDR_SIZE
    phentsize: int = PHDR_SIZE
    phnum: int | None = None
    sections: bool = True

    def build(self) -> bytes:
        phnum = len(self.segments)
        body = b""
        base = EHDR_SIZE + PHDR_SIZE * phnum
        offsets = []
        for seg in self.segments:
            body = _pad(body, 16)
            offsets.append(base + len(body))
            body += seg.data
        phdrs = b""
        for seg, off in zip(self.segments, offsets, strict=True):
            filesz = len(seg.data) if seg.filesz is None else seg.filesz
            memsz = len(seg.data) if seg.memsz is None else seg.memsz
            phdrs += struct.pack(
                "<IIQQQQQQ",
                seg.p_type,
                seg.flags,
                off if seg.offset is None else seg.offset,
                seg.vaddr,
                seg.vaddr,
                filesz,
                memsz,
                seg.align,
            )
        shoff, shnum, shstrndx, shdrs = 0, 0, 0, b""
        named = [(s, o) for s, o in zip(self.segments, offsets, strict=True) if s.section]
        if self.sections and named:
            strtab = b"\0.shstrtab\0"
            shdrs = b"\0" * SHDR_SIZE
            entries = []
            for seg, off in named:
                entries.append((len(strtab), seg, off))
                strtab += seg.section.encode() + b"\0"  # type: ignore[union-attr]
            body = _pad(body, 8)
            str_off = base + len(body)
            body += strtab
            for name_off, seg, off in entries:
                shdrs += struct.pack(
                    "<IIQQQQIIQQ", name_off, SHT_NOTE, 2, seg.vaddr, off, len(seg.data), 0, 0, 4, 0
                )
            shdrs += struct.pack(
                "<IIQQQQIIQQ", 1, SHT_STRTAB, 0, 0, str_off, len(strtab), 0, 0, 1, 0
            )
            body = _pad(body, 8)
            shoff = base + len(body)
            shnum = len(entries) + 2
            shstrndx = shnum - 1
        ident = b"\x7fELF" + bytes([self.ei_class, self.ei_data, self.version, 0])
        ident = ident.ljust(16, b"\0")
        ehdr = ident + struct.pack(
            "<HHIQQQIHHHHHH",
            self.e_type,
            self.machine,
            self.version if self.e_version is None else self.e_version,
            self.entry,
            EHDR_SIZE,
            shoff,
            0,
            self.ehsize,
            self.phentsize,
            phnum if self.phnum is None else self.phnum,
            SHDR_SIZE if shnum else 0,
            shnum,
            shstrndx,
        )
        return ehdr + phdrs + body + shdrs


# Hand-assembled x86_64 guest programs (checked with objdump).  On entry
# RDI points to struct spt_boot_info: mem_size @0, cmdline @16, mft @24,
# epollfd @32, timerfd @36.
def _exit(status: int) -> bytes:
    return b"\xbf" + struct.pack("<I", status) + b"\xb8\xe7\x00\x00\x00\x0f\x05"


_EXIT_EDI = b"\xb8\xe7\x00\x00\x00\x0f\x05"  # exit_group(edi)
_EXIT_EAX = b"\x89\xc7" + _EXIT_EDI  # exit_group(eax)


def mft_u16(offset: int, shift: int = 0) -> bytes:
    """exit_group(*(uint16_t *)(mft + offset) >> shift): reads the tender's copy."""
    return (
        b"\x48\x8b\x47\x18\x0f\xb7\xb8"
        + struct.pack("<I", offset)
        + b"\xc1\xef"
        + bytes([shift])
        + _EXIT_EDI
    )


def block_pread(offset: int, write: bool = False) -> bytes:
    """exit_group(pread64(storage fd, rsp-4096, block_size, offset) >> 8).

    The device is manifest entry 1; pwrite64 instead when `write`.
    """
    fd = mft_field(1, abi.MFT_ENTRY_OFFSETS["b"])
    bs = mft_field(1, abi.MFT_ENTRY_OFFSETS["u"] + 8)
    nr = 18 if write else 17
    return (
        b"\x48\x8b\x47\x18"
        + b"\x8b\xb8"
        + struct.pack("<I", fd)
        + b"\x0f\xb7\x90"
        + struct.pack("<I", bs)
        + b"\x48\x8d\xb4\x24\x00\xf0\xff\xff"
        + b"\x49\xc7\xc2"
        + struct.pack("<I", offset)
        + b"\xb8"
        + struct.pack("<I", nr)
        + b"\x0f\x05"
        + b"\xc1\xe8\x08"
        + _EXIT_EAX
    )


def mft_field(index: int, field_offset: int) -> int:
    """Offset in struct mft of a field of entry `index`."""
    return abi.MFT_HEADER_SIZE + index * abi.MFT_ENTRY_SIZE + field_offset


CODE: dict[str, bytes] = {
    "exit7": _exit(7),
    # write(1, cmdline, strlen(cmdline)); exit_group(0)
    "cmdline": (
        b"\x48\x8b\x77\x10\x31\xd2\x80\x3c\x16\x00\x74\x05\x48\xff\xc2"
        b"\xeb\xf5\xbf\x01\x00\x00\x00\xb8\x01\x00\x00\x00\x0f\x05" + _exit(0)
    ),
    # exit_group(mem_size >> 20)
    "mem_mib": b"\x48\x8b\x07\x48\xc1\xe8\x14" + _EXIT_EAX,
    # exit_group(mem_size >> 22): 128 for the default 512 MiB
    "mem_4mib": b"\x48\x8b\x07\x48\xc1\xe8\x16" + _EXIT_EAX,
    # exit_group(mft->entries)
    "mft_entries": b"\x48\x8b\x47\x18\x8b\x78\x04" + _EXIT_EDI,
    # exit_group(rsp != mem_size - 8)
    "stack": (b"\x48\x8b\x07\x48\x83\xe8\x08\x31\xff\x48\x39\xe0\x40\x0f\x95\xc7" + _EXIT_EDI),
    # dup(0): not in the policy
    "dup": b"\xb8\x20\x00\x00\x00\x31\xff\x0f\x05" + _exit(0),
    # write a byte at the entry point (.text is R+X)
    "write_text": b"\xc6\x04\x25\x00\x00\x10\x00\x00" + _exit(0),
    # write a byte at address 8 (the zero page is unmapped)
    "zeropage": b"\xc6\x04\x25\x08\x00\x00\x00\x00" + _exit(0),
    # write a byte into the boot info (read-only)
    "write_boot_info": b"\xc6\x04\x25\x00\x10\x01\x00\x00" + _exit(0),
    # exit_group(epoll_pwait(epollfd, rsp-64, 1, 0, NULL))
    "epoll": (
        b"\x8b\x7f\x20\x48\x8d\x74\x24\xc0\xba\x01\x00\x00\x00\x45\x31\xd2"
        b"\x45\x31\xc0\xb8\x19\x01\x00\x00\x0f\x05" + _EXIT_EAX
    ),
    # epoll_pwait(epollfd + 1, ...): another fd
    "epoll_other_fd": (
        b"\x8b\x7f\x20\xff\xc7\x48\x8d\x74\x24\xc0\xba\x01\x00\x00\x00"
        b"\x45\x31\xd2\x45\x31\xc0\xb8\x19\x01\x00\x00\x0f\x05" + _EXIT_EAX
    ),
    # exit_group(clock_gettime(CLOCK_MONOTONIC, rsp-16))
    "clock": (b"\xbf\x01\x00\x00\x00\x48\x8d\x74\x24\xf0\xb8\xe4\x00\x00\x00\x0f\x05" + _EXIT_EAX),
    # clock_gettime(CLOCK_BOOTTIME): not in the policy
    "clock_boottime": (
        b"\xbf\x07\x00\x00\x00\x48\x8d\x74\x24\xf0\xb8\xe4\x00\x00\x00\x0f\x05" + _EXIT_EAX
    ),
    # copy "exit_group(42)" just below the stack top's page and jump to it
    "exec_heap": (
        b"\x48\x8b\x07\x48\x2d\x00\x10\x00\x00"
        b"\xc7\x00\xbf\x2a\x00\x00\xc7\x40\x04\x00\xb8\xe7\x00"
        b"\xc7\x40\x08\x00\x00\x0f\x05\xff\xe0"
    ),
}


def guest_segments(
    code: bytes, *, abi: bytes | None = None, mft: bytes | None = None
) -> list[Segment]:
    """text R+X at 0x100000, data RW, bss RW (p_filesz 0), ABI1 and MFT1 notes."""
    return [
        Segment(PT_LOAD, PF_R | PF_X, TEXT_BASE, code),
        Segment(PT_LOAD, PF_R | PF_W, TEXT_BASE + PAGE, b"RUCCESS\0"),
        Segment(PT_LOAD, PF_R | PF_W, TEXT_BASE + 2 * PAGE, b"", memsz=2 * PAGE),
        Segment(
            PT_NOTE, PF_R, 0, abi_note() if abi is None else abi, align=4, section=".note.solo5.abi"
        ),
        Segment(
            PT_NOTE,
            PF_R,
            0,
            mft_note() if mft is None else mft,
            align=8,
            section=".note.solo5.manifest",
        ),
    ]


def hvt_notes() -> list[Segment]:
    """The ABI1 (hvt) and MFT1 (no devices) notes of an hvt unikernel."""
    hvt = TARGETS["hvt"]
    return [
        Segment(
            PT_NOTE,
            PF_R,
            0,
            abi_note(hvt.abi_target, hvt.abi_version),
            align=4,
            section=".note.solo5.abi",
        ),
        Segment(PT_NOTE, PF_R, 0, mft_note(), align=8, section=".note.solo5.manifest"),
    ]


def guest(code: bytes = CODE["exit7"], devices: list[tuple[str, str]] | None = None) -> bytes:
    """A valid spt unikernel running `code`, declaring `devices`."""
    return Elf(guest_segments(code, mft=mft_note(devices))).build()


@dataclass
class Case:
    """A malformed unikernel: its bytes, the tender's message, who rejects it."""

    data: bytes
    message: str
    # Which tools must refuse it: the tender always; solo5-elftool's
    # query-abi / query-manifest only when the part they read is bad.
    query_abi: bool = False
    query_manifest: bool = False


def _valid() -> Elf:
    return Elf(guest_segments(CODE["exit7"]))


def _with_seg(i: int, **changes: object) -> bytes:
    e = _valid()
    e.segments[i] = replace(e.segments[i], **changes)  # type: ignore[arg-type]
    return e.build()


def _with(**changes: object) -> bytes:
    return replace(_valid(), **changes).build()  # type: ignore[arg-type]


def _notes_only(abi_data: bytes | None, mft_data: bytes | None) -> bytes:
    segs = guest_segments(CODE["exit7"])[:3]
    if abi_data is not None:
        segs.append(Segment(PT_NOTE, PF_R, 0, abi_data, align=4, section=".note.solo5.abi"))
    if mft_data is not None:
        segs.append(Segment(PT_NOTE, PF_R, 0, mft_data, align=8, section=".note.solo5.manifest"))
    return Elf(segs).build()


def _mft_case(**kw: object) -> bytes:
    return _notes_only(abi_note(), mft_note(**kw))  # type: ignore[arg-type]


def _cases() -> dict[str, Case]:
    valid = _valid().build()
    hdr = dict(query_abi=True, query_manifest=True)
    net = abi.MFT_DEV_NET_BASIC
    return {
        "empty": Case(b"", "not an ELF file", **hdr),
        "not_elf": Case(b"#!/bin/sh\necho this is not a unikernel\n" * 4, "not an ELF file", **hdr),
        "truncated_header": Case(valid[:40], "ELF header is truncated", **hdr),
        "truncated_phdrs": Case(
            valid[: EHDR_SIZE + PHDR_SIZE + 10], "program headers are truncated", **hdr
        ),
        "elf32": Case(_with(ei_class=1), "not a 64-bit ELF file", **hdr),
        "big_endian": Case(_with(ei_data=2), "not a little-endian ELF file", **hdr),
        "bad_version": Case(_with(version=2), "unsupported ELF version", **hdr),
        "bad_e_version": Case(_with(e_version=0), "unsupported ELF version", **hdr),
        "bad_ehsize": Case(_with(ehsize=52), "e_ehsize is 52", **hdr),
        "bad_phentsize": Case(_with(phentsize=32), "e_phentsize is 32", **hdr),
        "no_phdrs": Case(_with(phnum=0), "no usable program headers", **hdr),
        "shared_object": Case(_with(e_type=ET_DYN), "not a static executable", **hdr),
        "wrong_machine": Case(_with(machine=EM_PPC64), "not x86_64", **hdr),
        # Another architecture's unikernel: an x86_64 tender refuses it,
        # solo5-elftool reads its notes (they do not depend on the host).
        "other_arch": Case(_with(machine=EM_AARCH64), "not x86_64"),
        "overlapping_segments": Case(
            _with_seg(1, vaddr=TEXT_BASE + 8), "overlaps or precedes the previous one"
        ),
        "unsorted_segments": Case(
            Elf([guest_segments(CODE["exit7"])[i] for i in (1, 0, 2, 3, 4)]).build(),
            "overlaps or precedes the previous one",
        ),
        "wx_segment": Case(_with_seg(0, flags=PF_R | PF_W | PF_X), "both writable and executable"),
        "entry_below_memory": Case(_with(entry=0x1000), "e_entry 0x1000 does not fall"),
        "entry_beyond_memory": Case(_with(entry=0x7FFFFFFF0000), "does not fall within"),
        "huge_memsz": Case(_with_seg(2, memsz=(1 << 64) - PAGE), "does not fit in guest memory"),
        "huge_offset": Case(_with_seg(1, offset=(1 << 64) - 4), "beyond the end of the file"),
        # The note itself is whole; its segment claims more than the file has.
        "note_segment_beyond_eof": Case(
            _with_seg(4, filesz=1 << 20), "beyond the end of the file", **hdr
        ),
        "filesz_above_memsz": Case(_with_seg(1, memsz=2), "larger than p_memsz"),
        "segment_below_base": Case(_with_seg(0, vaddr=0x80000), "is below 0x100000"),
        "unaligned_segment": Case(
            _with_seg(1, vaddr=TEXT_BASE + PAGE + 0x10, align=16), "not page aligned"
        ),
        "bad_p_align": Case(_with_seg(1, align=3), "not a power of 2"),
        "no_loadable_segment": Case(
            Elf(guest_segments(CODE["exit7"])[3:]).build(), "no loadable segment"
        ),
        "note_too_small": Case(
            _notes_only(abi_note()[:8], mft_note()),
            "note does not fall within valid size",
            query_abi=True,
            query_manifest=True,
        ),
        "buggyelf": Case(
            _mft_case(descsz=1), "note does not fall within valid size", query_manifest=True
        ),
        "note_desc_too_large": Case(
            _notes_only(abi_note(descsz=100), mft_note()), "out of range", query_abi=True
        ),
        "note_truncated": Case(
            _notes_only(abi_note()[:28], mft_note()),
            "note does not fall within valid size",
            query_abi=True,
        ),
        "wrong_abi_target": Case(
            _notes_only(abi_note(target=TARGETS["hvt"].abi_target), mft_note()),
            "Executable is not for the solo5-spt target",
        ),
        "wrong_abi_version": Case(
            _notes_only(abi_note(version=3), mft_note()),
            "Executable requests unsupported ABI version 3",
        ),
        "no_abi_note": Case(
            _notes_only(None, mft_note()),
            "No Solo5 ABI information found in executable",
            query_abi=True,
        ),
        "no_manifest": Case(
            _notes_only(abi_note(), None),
            "No Solo5 manifest found in executable",
            query_manifest=True,
        ),
        # What the linker script leaves when no manifest object is linked:
        # an empty PT_NOTE, skipped (upstream's tenders call it invalid).
        "empty_manifest_note": Case(
            _with_seg(4, data=b""),
            "No Solo5 manifest found in executable",
            query_manifest=True,
        ),
        "mft_bad_version": Case(
            _mft_case(version=2), "Solo5 manifest is invalid", query_manifest=True
        ),
        "mft_entries_mismatch": Case(
            _mft_case(devices=[("net0", "NET_BASIC")], count=3),
            "Solo5 manifest is invalid",
            query_manifest=True,
        ),
        "mft_too_many_entries": Case(
            _mft_case(count=65), "Solo5 manifest is invalid", query_manifest=True
        ),
        "mft_no_entries": Case(
            _mft_case(entries=[], count=0), "Solo5 manifest is invalid", query_manifest=True
        ),
        "mft_first_not_reserved": Case(
            _mft_case(entries=[MftEntry(b"net0", net)]),
            "Solo5 manifest is invalid",
            query_manifest=True,
        ),
        "mft_attached_set": Case(
            _mft_case(entries=[reserved(), MftEntry(b"net0", net, attached=1)]),
            "Solo5 manifest is invalid",
            query_manifest=True,
        ),
        "mft_private_set": Case(
            _mft_case(entries=[reserved(), MftEntry(b"net0", net, private=b"\x07" + bytes(23))]),
            "Solo5 manifest is invalid",
            query_manifest=True,
        ),
        "mft_name_unterminated": Case(
            _mft_case(entries=[reserved(), MftEntry(b"n" * abi.MFT_NAME_SIZE, net)]),
            "Solo5 manifest is invalid",
            query_manifest=True,
        ),
    }


CASES: dict[str, Case] = _cases()
