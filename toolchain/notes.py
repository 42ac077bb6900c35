"""Binary Solo5 notes: the MFT1 manifest and the ABI1 target/version (ref §4.2).

Encoding produces exactly what the C declarations in mft_abi.h/elf_abi.h
produce; decoding and `validate_mft` accept exactly what the tenders accept
(ref §4.4), so `solo5-elftool query-manifest` agrees with `solo5-hvt`.
"""

from __future__ import annotations

import struct

from solo5_toolchain import abi
from solo5_toolchain.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from solo5_toolchain.manifest import Manifest

_NOTE_HEADER = struct.Struct("<III")  # n_namesz, n_descsz, n_type
_MFT_HEADER = struct.Struct("<II")  # version, entries
_MFT_ENTRY = struct.Struct(f"<{abi.MFT_NAME_SIZE}sI16s8s?7x")
_ABI1_INFO = struct.Struct("<IIII")  # abi_target, abi_version, reserved0, reserved1
_OWNER = abi.NOTE_OWNER.encode() + b"\0"
_OWNER_PADDED = _OWNER.ljust(abi.NOTE_NAME_PADDED, b"\0")

assert _MFT_ENTRY.size == abi.MFT_ENTRY_SIZE
assert _MFT_HEADER.size == abi.MFT_HEADER_SIZE
assert _ABI1_INFO.size == abi.ABI1_DESC_SIZE


class NoteError(Exception):
    """A note that a tender would refuse; the message says why."""


class MftEntry(Record):
    """One entry of a binary manifest, as stored on disk."""

    __slots__ = ("name", "type", "private", "attached")  # noqa: RUF023 (the fields in order)
    name: str
    type: int
    private: bytes  # the u and b unions: zero on disk
    attached: bool

    def __init__(self, name: str, type: int, private: bytes = bytes(24),
                 attached: bool = False) -> None:
        super().__init__(name, type, private, attached)

    @property
    def type_name(self) -> str:
        """The manifest.json spelling of the type, or UNKNOWN."""
        for name, code in abi.DEVICE_TYPES.items():
            if code == self.type:
                return name
        return "UNKNOWN"


class Abi1Info(Record):
    """The ABI1 descriptor."""

    __slots__ = ("target", "version", "reserved0", "reserved1")  # noqa: RUF023 (in order)
    target: int
    version: int
    reserved0: int
    reserved1: int

    def __init__(self, target: int, version: int, reserved0: int = 0,
                 reserved1: int = 0) -> None:
        super().__init__(target, version, reserved0, reserved1)

    @property
    def target_name(self) -> str:
        """The query-abi spelling of the target: hvt, spt, ... or unknown."""
        return abi.ABI_TARGET_NAMES.get(self.target, "unknown")


def _pad(offset: int, align: int) -> int:
    """Bytes of padding after `offset` to reach a multiple of `align`."""
    return -offset % align


# Where the descriptor starts, counted from the end of the note name.
MFT1_DESC_PADDING = _pad(abi.NOTE_HEADER_SIZE + abi.NOTE_NAME_PADDED, abi.MFT1_NOTE_ALIGN)
ABI1_DESC_PADDING = _pad(abi.NOTE_HEADER_SIZE + abi.NOTE_NAME_PADDED, abi.ABI1_NOTE_ALIGN)


def encode_note(note_type: int, desc: bytes, padding: int) -> bytes:
    """A whole Solo5 note: header, padded owner, `padding` zeros, descriptor."""
    header = _NOTE_HEADER.pack(len(_OWNER), padding + len(desc), note_type)
    return header + _OWNER_PADDED + bytes(padding) + desc


def encode_mft(manifest: Manifest) -> bytes:
    """struct mft for `manifest`: header, reserved entry, one entry per device."""
    entries = [MftEntry("", abi.MFT_RESERVED_FIRST)]
    entries += [MftEntry(d.name, d.type_code) for d in manifest.devices]
    return encode_mft_entries(entries)


def encode_mft_entries(entries: list[MftEntry], version: int = abi.MFT_VERSION) -> bytes:
    """struct mft from raw entries (also for building invalid ones in tests)."""
    out = [_MFT_HEADER.pack(version, len(entries))]
    for entry in entries:
        if len(entry.private) != 24:
            raise ValueError("MftEntry.private must be 24 bytes (the u and b unions)")
        out.append(_MFT_ENTRY.pack(entry.name.encode(), entry.type, entry.private[:16],
                                   entry.private[16:], entry.attached))
    return b"".join(out)


def encode_mft1_note(manifest: Manifest) -> bytes:
    """The whole MFT1 note for `manifest`, as the linker places it."""
    return encode_note(abi.MFT1_NOTE_TYPE, encode_mft(manifest), MFT1_DESC_PADDING)


def validate_mft(desc: bytes) -> None:
    """Accept exactly what the tender's mft_validate accepts (ref §4.4)."""
    if len(desc) < _MFT_HEADER.size:
        raise NoteError(f"manifest is {len(desc)} bytes, smaller than its header")
    version, entries = _MFT_HEADER.unpack_from(desc)
    if version != abi.MFT_VERSION:
        raise NoteError(f"manifest version {version}, expected {abi.MFT_VERSION}")
    if entries > abi.MFT_MAX_ENTRIES:
        raise NoteError(f"manifest has {entries} entries, maximum {abi.MFT_MAX_ENTRIES}")
    expected = _MFT_HEADER.size + entries * abi.MFT_ENTRY_SIZE
    if len(desc) != expected:
        raise NoteError(
            f"manifest is {len(desc)} bytes, expected {expected} for {entries} entries"
        )
    if entries < 1:
        raise NoteError("manifest has no entries, the reserved first entry is missing")
    for index, entry in enumerate(_raw_entries(desc, entries)):
        name, type_code, u, b, attached = entry
        if index == 0 and (type_code != abi.MFT_RESERVED_FIRST or name[0] != 0):
            raise NoteError("manifest entry 0 is not the reserved first entry")
        if name[abi.MFT_NAME_MAX] != 0:
            raise NoteError(f"manifest entry {index}: name is not NUL-terminated")
        if attached:
            raise NoteError(f"manifest entry {index}: marked as attached")
        if any(u) or any(b):
            raise NoteError(
                f"manifest entry {index}: private fields are set (they are zero on disk)"
            )
    _validate_devices(_raw_entries(desc, entries)[1:])


def _validate_devices(devices: list[tuple[bytes, int, bytes, bytes, bool]]) -> None:
    """The tender's device rules (tenders/common/tender_mft.c): a known
    type and a unique, non-empty, alphanumeric name."""
    seen: set[bytes] = set()
    for index, (raw_name, type_code, _u, _b, _attached) in enumerate(devices, start=1):
        name = raw_name.split(b"\0", 1)[0]
        if type_code not in abi.DEVICE_TYPES.values():
            raise NoteError(f"manifest entry {index}: unknown device type {type_code:#x}")
        if not name:
            raise NoteError(f"manifest entry {index}: empty device name")
        if not (name.isascii() and name.isalnum()):
            raise NoteError(f"manifest entry {index}: device name is not alphanumeric")
        if name in seen:
            raise NoteError(
                f"manifest entry {index}: duplicate device name '{name.decode()}'"
            )
        seen.add(name)


def _raw_entries(desc: bytes, entries: int) -> list[tuple[bytes, int, bytes, bytes, bool]]:
    return [
        _MFT_ENTRY.unpack_from(desc, _MFT_HEADER.size + i * abi.MFT_ENTRY_SIZE)
        for i in range(entries)
    ]


def decode_mft(desc: bytes) -> list[MftEntry]:
    """Validate struct mft and return every entry, the reserved one included."""
    validate_mft(desc)
    _version, entries = _MFT_HEADER.unpack_from(desc)
    return [
        MftEntry(
            name.split(b"\0", 1)[0].decode("latin-1"),
            type_code,
            u + b,
            attached,
        )
        for name, type_code, u, b, attached in _raw_entries(desc, entries)
    ]


def encode_abi1(info: Abi1Info) -> bytes:
    """struct abi1_info."""
    return _ABI1_INFO.pack(info.target, info.version, info.reserved0, info.reserved1)


def encode_abi1_note(info: Abi1Info) -> bytes:
    """The whole ABI1 note."""
    return encode_note(abi.ABI1_NOTE_TYPE, encode_abi1(info), ABI1_DESC_PADDING)


def decode_abi1(desc: bytes) -> Abi1Info:
    """struct abi1_info; its size must be exact."""
    if len(desc) != _ABI1_INFO.size:
        raise NoteError(f"ABI note is {len(desc)} bytes, expected {_ABI1_INFO.size}")
    return Abi1Info(*_ABI1_INFO.unpack(desc))
