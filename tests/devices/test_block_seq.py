"""Reads in order with writes between them (test_blk_seq), on every tender:
what solo5-hvt's bindings read ahead (bindings/hvt/hvt_readahead.c) must
read exactly what the device holds, the guest's own last writes included.

The device is filled here: word i of block b holds b * 2**16 + i; the guest
complements the words of the blocks it rewrites and says which.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from support.guest import run_guest, tenders_under_test

from devices.helpers import MIB, check_success, need_module

TENDERS = tenders_under_test()
READ_AHEAD = "Solo5: hvt: block read-ahead @"


def block_words(b: int, bs: int, rewritten: bool) -> bytes:
    words = [(b << 16) + i for i in range(bs // 8)]
    if rewritten:
        words = [w ^ 0xFFFF_FFFF_FFFF_FFFF for w in words]
    return struct.pack(f"<{bs // 8}Q", *words)


def pattern_file(path: Path, bs: int) -> Path:
    """A device of whole blocks whose size is no multiple of 64 KiB, so the
    last window read ahead is clamped to the device's end."""
    blocks = (5 * MIB) // bs + 5
    path.write_bytes(b"".join(block_words(b, bs, False) for b in range(blocks)))
    return path


def run_seq(tender_name: str, image: Path, bs: int, mem: int = 32) -> str:
    args = [f"--block:storage={image}", f"--block-sector-size:storage={bs}"]
    result = run_guest(tender_name, "test_blk_seq", ["--solo5:debug"], mem=mem, tender_args=args)
    check_success(result)
    rewritten = {int(b) for b in re.findall(r"rewrote block (\d+)", result.stdout)}
    assert len(rewritten) == 2, result.describe()
    data = image.read_bytes()
    for b in range(len(data) // bs):
        want = block_words(b, bs, b in rewritten)
        assert data[b * bs : (b + 1) * bs] == want, f"block {b}"
    return result.stdout


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize("bs", [512, 4096])
def test_blk_seq(tender_name: str, bs: int, tmp_path: Path) -> None:
    """One-, three- and eight-block reads in order to the device's end,
    blocks rewritten inside the windows being read, scattered reads."""
    need_module(tender_name, "block")
    out = run_seq(tender_name, pattern_file(tmp_path / "storage.img", bs), bs)
    assert (READ_AHEAD in out) == (tender_name == "hvt"), out


def test_hvt_read_ahead_needs_room(tmp_path: Path) -> None:
    """A heap too small to spare the two 64 KiB windows keeps all of it,
    and the reads go to the tender one by one, with the same results."""
    need_module("hvt", "block")
    out = run_seq("hvt", pattern_file(tmp_path / "storage.img", 512), 512, mem=2)
    assert READ_AHEAD not in out, out


def test_hvt_read_ahead_needs_a_block_device() -> None:
    """No block device, no buffers off the heap."""
    result = run_guest("hvt", "test_hello", ["--solo5:debug", "Hello_Solo5"])
    check_success(result)
    assert "I/O rings in use" in result.stdout, result.describe()
    assert READ_AHEAD not in result.stdout, result.describe()


def two_device_file(path: Path, d: int, blocks: int = 1024) -> Path:
    path.write_bytes(
        b"".join(
            struct.pack("<64Q", *[(d << 56) + (b << 16) + i for i in range(64)])
            for b in range(blocks)
        )
    )
    return path


@pytest.mark.parametrize("tender_name", TENDERS)
def test_blk_two_devices_in_turns(tender_name: str, tmp_path: Path) -> None:
    """Two devices read in order in turns, one written at the other's read-
    ahead offset: no read is ever served from the other device's window."""
    need_module(tender_name, "block")
    first = two_device_file(tmp_path / "first.img", 0)
    second = two_device_file(tmp_path / "second.img", 1)
    args = [f"--block:first={first}", f"--block:second={second}"]
    result = run_guest(tender_name, "test_blk_two", mem=32, tender_args=args)
    check_success(result)
    m = re.search(r"rewrote block (\d+)", result.stdout)
    assert m, result.describe()
    rewritten = int(m.group(1))
    words = [(1 << 56) + (rewritten << 16) + i for i in range(64)]
    want = struct.pack("<64Q", *[w ^ 0xFFFF_FFFF_FFFF_FFFF for w in words])
    assert second.read_bytes()[rewritten * 512 : (rewritten + 1) * 512] == want
    assert first.read_bytes() == two_device_file(tmp_path / "copy.img", 0).read_bytes()
