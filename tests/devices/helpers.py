"""What the device suites share: module checks, success checks, the block
pattern the device guests write, and files to back block devices."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from support.guest import GuestRun, run, tender
from support.netns import why_unavailable

MIB = 1 << 20
PATTERN_K = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1


def modules(tender_name: str) -> list[str]:
    """The modules `solo5-<tender> --help` says are compiled in."""
    result = run([tender(tender_name).binary, "--help"])
    for line in result.output.splitlines():
        if line.startswith("Compiled-in modules:"):
            return line.split(":", 1)[1].split()
    raise AssertionError(f"--help lists no 'Compiled-in modules:'\n{result.describe()}")


def need_module(tender_name: str, module: str) -> None:
    if module not in modules(tender_name):
        pytest.skip(f"solo5-{tender_name} has no {module} module compiled in")


def need_netns() -> None:
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)


def check_success(result: GuestRun) -> None:
    assert not result.timed_out and result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout and "FAILURE" not in result.stdout, result.describe()


def check_error(result: GuestRun, message: str) -> None:
    """A set-up error: status 1, `message` on stderr, the guest never ran."""
    assert result.status == 1, result.describe()
    assert message in result.stderr, result.describe()
    assert "Solo5 standalone" not in result.stdout, "the guest must not start"


def zero_file(path: Path, size: int) -> Path:
    """A sparse file of `size` zero bytes."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def check_acknowledged(image: Path, text: str | bytes, bs: int = 512) -> list[tuple[int, int]]:
    """test_blk_ack's `ack FIRST N` lines of `text` (whole lines only: a
    kill may cut the last); asserts each acknowledged block is in `image`
    and returns the (first, n) ranges."""
    raw = text.encode() if isinstance(text, str) else text
    ranges = [(int(a), int(n)) for a, n in re.findall(rb"^ack (\d+) (\d+)\n", raw, re.M)]
    with open(image, "rb") as f:
        for first, n in ranges:
            f.seek(first * bs)
            got = f.read(n * bs)
            for k in range(n):
                want = block_pattern(first + k + TAG_ACK, bs)
                assert got[k * bs : (k + 1) * bs] == want, f"acknowledged block {first + k}"
    return ranges


def block_pattern(tag: int, size: int) -> bytes:
    """A block tagged `tag` as the device guests write it: 64-bit LE words
    (tag + 1) * K + i (see tests/guests/test_blk/test_blk.c)."""
    base = ((tag + 1) * PATTERN_K) & MASK64
    return struct.pack(f"<{size // 8}Q", *(((base + i) & MASK64) for i in range(size // 8)))


# The tags test_blk writes (see tests/guests/test_blk/test_blk.c), and
# test_blk_ack's (block b is tagged b + TAG_ACK).
TAG_A = 1000000
TAG_B = 2000000
TAG_ACK = 3000000
MULTI_A = 37


def expected_test_blk(blocks: int, bs: int, multi_b: int) -> list[bytes]:
    """The content of every block after a successful test_blk run."""
    multi_a = min(MULTI_A, blocks - 2)
    zero = bytes(bs)
    out: list[bytes] = []
    for b in range(blocks):
        if b >= blocks - multi_b:
            out.append(block_pattern(b + TAG_B, bs))
        elif 1 <= b < 1 + multi_a:
            out.append(block_pattern(b + TAG_A, bs))
        elif b % 10 == 0:
            out.append(block_pattern(b, bs))
        else:
            out.append(zero)
    return out
