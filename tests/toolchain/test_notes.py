"""Binary MFT1/ABI1 notes: exact bytes, round trips and the tender's validation."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solo5_toolchain import abi, manifest, notes

NET = manifest.Device("net0", "NET_BASIC")


def test_mft1_note_bytes() -> None:
    note = notes.encode_mft1_note(manifest.Manifest((NET,)))
    namesz, descsz, note_type = struct.unpack_from("<III", note)
    assert (namesz, descsz, note_type) == (6, 0xDC, 0x3154464D)  # N=2 entries: 0xDC
    assert note[12:20] == b"Solo5\0\0\0"
    assert note[20:24] == bytes(4)  # padding: struct mft is 8-aligned
    assert struct.unpack_from("<II", note, 24) == (1, 2)
    first = note[32 : 32 + 104]
    assert first[:68] == bytes(68)
    assert struct.unpack_from("<I", first, 68)[0] == 0x40000000
    second = note[136 : 136 + 104]
    assert second[:68] == b"net0".ljust(68, b"\0")
    assert struct.unpack_from("<I", second, 68)[0] == abi.MFT_DEV_NET_BASIC
    assert second[72:] == bytes(32)  # u, b, attached and padding: zero on disk
    assert len(note) == 20 + descsz


def test_empty_manifest_descsz() -> None:
    note = notes.encode_mft1_note(manifest.Manifest())
    assert struct.unpack_from("<I", note, 4)[0] == 0x74  # N=1


def test_abi1_note_bytes() -> None:
    note = notes.encode_abi1_note(notes.Abi1Info(1, 2))
    assert note == struct.pack("<III", 6, 16, 0x31494241) + b"Solo5\0\0\0" + struct.pack(
        "<IIII", 1, 2, 0, 0
    )


def test_abi1_decode() -> None:
    info = notes.decode_abi1(struct.pack("<IIII", 2, 2, 0, 0))
    assert (info.target_name, info.version) == ("spt", 2)
    assert notes.Abi1Info(99, 1).target_name == "unknown"
    with pytest.raises(notes.NoteError, match="ABI note is 12 bytes, expected 16"):
        notes.decode_abi1(bytes(12))


def test_abi_target_names_agree_with_the_targets_table() -> None:
    """query-abi's names (abi.py) and the targets table use the same ids."""
    from solo5_toolchain.targets import TARGETS

    for target in TARGETS.values():
        if target.has_abi_note:
            assert notes.Abi1Info(target.abi_target, 1).target_name == target.name


def test_values_compare_and_stay_as_made() -> None:
    entry = notes.MftEntry("net0", abi.MFT_DEV_NET_BASIC)
    assert entry == notes.MftEntry("net0", abi.MFT_DEV_NET_BASIC, bytes(24), False)
    assert entry != notes.MftEntry("net1", abi.MFT_DEV_NET_BASIC)
    assert len({entry, notes.MftEntry("net0", abi.MFT_DEV_NET_BASIC)}) == 1
    assert repr(notes.Abi1Info(1, 2)) == (
        "Abi1Info(target=1, version=2, reserved0=0, reserved1=0)"
    )
    with pytest.raises(AttributeError, match="immutable"):
        entry.name = "x"  # type: ignore[misc]


def reserved() -> notes.MftEntry:
    return notes.MftEntry("", abi.MFT_RESERVED_FIRST)


@pytest.mark.parametrize(
    ("desc", "message"),
    [
        (b"\1\0\0", "manifest is 3 bytes, smaller than its header"),
        (notes.encode_mft_entries([reserved()], version=2), "manifest version 2, expected 1"),
        (struct.pack("<II", 1, 65), "manifest has 65 entries, maximum 64"),
        (
            notes.encode_mft_entries([reserved()])[:-1],
            "manifest is 111 bytes, expected 112 for 1 entries",
        ),
        (notes.encode_mft_entries([]), "manifest has no entries"),
        (
            notes.encode_mft_entries([notes.MftEntry("", abi.MFT_DEV_NET_BASIC)]),
            "manifest entry 0 is not the reserved first entry",
        ),
        (
            notes.encode_mft_entries([notes.MftEntry("x", abi.MFT_RESERVED_FIRST)]),
            "manifest entry 0 is not the reserved first entry",
        ),
        (
            notes.encode_mft_entries([reserved(), notes.MftEntry("a" * 68, 1)]),
            "manifest entry 1: name is not NUL-terminated",
        ),
        (
            notes.encode_mft_entries([reserved(), notes.MftEntry("a", 1, attached=True)]),
            "manifest entry 1: marked as attached",
        ),
        (
            notes.encode_mft_entries(
                [reserved(), notes.MftEntry("a", 1, private=bytes(23) + b"\1")]
            ),
            "manifest entry 1: private fields are set",
        ),
    ],
)
def test_validate_rejects_what_the_tender_rejects(desc: bytes, message: str) -> None:
    with pytest.raises(notes.NoteError, match=f"^{message}"):
        notes.validate_mft(desc)


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        ([notes.MftEntry("a", 77)], "manifest entry 1: unknown device type 0x4d"),
        ([notes.MftEntry("", 1)], "manifest entry 1: empty device name"),
        ([notes.MftEntry("a-b", 1)], "manifest entry 1: device name is not alphanumeric"),
        ([notes.MftEntry("a", 1), notes.MftEntry("a", 2)],
         "manifest entry 2: duplicate device name 'a'"),
    ],
)
def test_validate_refuses_devices_the_tender_refuses(
    devices: list[notes.MftEntry], message: str
) -> None:
    """tenders/common/tender_mft.c's device rules: query-manifest must not
    print a manifest no tender would run."""
    with pytest.raises(notes.NoteError, match=f"^{message}"):
        notes.decode_mft(notes.encode_mft_entries([reserved(), *devices]))


def test_64_entries_are_valid() -> None:
    entries = [reserved()] + [notes.MftEntry(f"d{i}", 2) for i in range(63)]
    assert len(notes.decode_mft(notes.encode_mft_entries(entries))) == 64


names = st.text(alphabet="abcXYZ019", min_size=1, max_size=abi.MFT_NAME_MAX)
device_lists = st.lists(
    st.tuples(names, st.sampled_from(sorted(abi.DEVICE_TYPES))),
    max_size=abi.MFT_MAX_DEVICES,
    unique_by=lambda d: d[0],
)


@given(device_lists)
def test_mft_round_trip(devs: list[tuple[str, str]]) -> None:
    mft = manifest.Manifest(tuple(manifest.Device(n, t) for n, t in devs))
    desc = notes.encode_mft(mft)
    assert len(desc) == abi.MFT_HEADER_SIZE + abi.MFT_ENTRY_SIZE * mft.entries
    entries = notes.decode_mft(desc)
    assert entries[0] == reserved()
    assert [(e.name, e.type_name) for e in entries[1:]] == devs


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_abi1_round_trip(target: int, version: int) -> None:
    info = notes.Abi1Info(target, version)
    assert notes.decode_abi1(notes.encode_abi1(info)) == info


@given(st.binary(max_size=400))
def test_validate_never_crashes(desc: bytes) -> None:
    with contextlib.suppress(notes.NoteError):
        notes.decode_mft(desc)
