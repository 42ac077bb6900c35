"""Block devices on every tender: transfers, bounds, durability, sandbox, and
every bad input (ref §4.6, §6.2-6.3, issue 4).

Block files live under pytest's tmp_path.  A transfer may be any whole
number of blocks (beyond upstream's one block per call); the guests write a
pattern the host checks here, byte for byte.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.guest import guest_path, run, run_guest, tender, tenders_under_test

from devices.helpers import (
    MIB,
    check_acknowledged,
    check_error,
    check_success,
    expected_test_blk,
    need_module,
    zero_file,
)

TENDERS = tenders_under_test()


def run_test_blk(tender_name: str, image: Path, sector: int | None, mem: int | None) -> None:
    args = [f"--block:storage={image}"]
    if sector is not None:
        args.append(f"--block-sector-size:storage={sector}")
    result = run_guest(tender_name, "test_blk", mem=mem, tender_args=[*args, "--"])
    check_success(result)
    bs = sector or 512
    size = image.stat().st_size
    assert f"capacity {size} bytes, block size {bs}\n" in result.stdout
    m = re.search(r"multi-block: (\d+) blocks at block 1, (\d+) blocks at the end", result.stdout)
    assert m, result.describe()
    multi_b = int(m.group(2))

    data = image.read_bytes()
    assert len(data) == size, "the device file changed size"
    expected = expected_test_blk(size // bs, bs, multi_b)
    for b, want in enumerate(expected):
        assert data[b * bs : (b + 1) * bs] == want, f"block {b} of {len(expected)}"


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize("sector", [None, 512, 4096])
def test_blk(tender_name: str, sector: int | None, tmp_path: Path) -> None:
    """Write/read/verify across the device: first, every 10th and last block,
    multi-block transfers at block 1 and ending at the end; partial blocks,
    misaligned offsets, beyond and straddling the end, overflow all refused."""
    need_module(tender_name, "block")
    run_test_blk(tender_name, zero_file(tmp_path / "storage.img", 4 * MIB), sector, None)


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize("sector", [512, 4096])
def test_blk_large_transfers(tender_name: str, sector: int, tmp_path: Path) -> None:
    """Multi-megabyte single calls: on spt they cross every chunk size the
    seccomp bounds allow (bindings/spt/spt_io.c)."""
    need_module(tender_name, "block")
    run_test_blk(tender_name, zero_file(tmp_path / "storage.img", 64 * MIB), sector, 64)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_blk_acknowledged_writes_survive_sigkill(tender_name: str, tmp_path: Path) -> None:
    """Every write that returned OK is in the file after the tender is killed
    with SIGKILL (nothing acknowledged lives only in the tender)."""
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "storage.img", 64 * MIB)
    t = tender(tender_name)
    argv = [
        str(t.binary),
        f"--mem={t.mem}",
        f"--block:storage={image}",
        str(guest_path("test_blk_ack", tender_name)),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    acks = 0
    lines: list[bytes] = []
    deadline = time.monotonic() + 30
    while acks < 3000 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(b"ack "):
            acks += 1
        if line.startswith(b"done"):
            break
    proc.send_signal(signal.SIGKILL)
    # Not communicate(): it reads the pipe's fd directly and would miss what
    # readline() already buffered.
    rest = proc.stdout.read()
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, err)
    ranges = check_acknowledged(image, b"".join(lines) + rest)
    assert len(ranges) >= 1000, f"only {len(ranges)} acknowledged writes\n{err.decode()}"
    assert sum(n for _, n in ranges) == ranges[-1][0] + ranges[-1][1], "acks not contiguous"


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize(
    ("size", "sector", "message"),
    [
        (6 * 1024, 4096, "storage: Backing storage size must be block aligned (4096 bytes)"),
        (4 * MIB, 521, "Block size must be a multiple of 2"),
        (4 * MIB, 256, "greater than or equal 512"),
        (4 * MIB, 1000, "Block size must be a multiple of 2"),
        (4 * MIB, 65536, "Block size must be a multiple of 2"),
        (0, 512, "storage: Backing storage must be at least 1 block (512 bytes) in size"),
    ],
    ids=["misaligned-file", "odd-sector", "too-small-sector", "non-power-of-2", "too-big", "empty"],
)
def test_blk_bad_setup(
    tender_name: str, size: int, sector: int, message: str, tmp_path: Path
) -> None:
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "storage.img", size)
    result = run_guest(
        tender_name,
        "test_blk",
        tender_args=[f"--block:storage={image}", f"--block-sector-size:storage={sector}"],
    )
    check_error(result, message)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_blk_declared_but_not_attached(tender_name: str) -> None:
    need_module(tender_name, "block")
    result = run_guest(tender_name, "test_blk")
    check_error(result, "Device 'storage' of type BLOCK_BASIC declared but not attached.")
    assert "All declared devices must be attached." in result.stderr


@pytest.mark.parametrize("tender_name", TENDERS)
def test_blk_undeclared_name(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "other.img", 4096)
    result = run_guest(tender_name, "test_blk", tender_args=[f"--block:other={image}"])
    check_error(result, "Resource not declared in manifest: 'other'")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_blk_attached_twice(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name, "block")
    one = zero_file(tmp_path / "one.img", 4096)
    two = zero_file(tmp_path / "two.img", 4096)
    result = run_guest(
        tender_name, "test_blk", tender_args=[f"--block:storage={one}", f"--block:storage={two}"]
    )
    check_error(result, "Block device 'storage' is attached twice")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_blk_missing_file(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name, "block")
    missing = tmp_path / "missing.img"
    result = run_guest(tender_name, "test_blk", tender_args=[f"--block:storage={missing}"])
    check_error(result, f"Could not open block device: {missing}: No such file or directory")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_blk_read_only_file(tender_name: str, tmp_path: Path) -> None:
    """A file the tender may not write.  Root writes files whatever their
    mode, so the tender runs without CAP_DAC_OVERRIDE (setpriv)."""
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "ro.img", 4096)
    image.chmod(0o444)
    t = tender(tender_name)
    argv = [
        str(t.binary),
        f"--mem={t.mem}",
        f"--block:storage={image}",
        str(guest_path("test_blk", tender_name)),
    ]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv (util-linux) is needed to run without CAP_DAC_OVERRIDE")
        argv = [setpriv, "--bounding-set=-dac_override", "--", *argv]
    result = run(argv)
    check_error(result, f"Could not open block device: {image}: Permission denied")


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize("size", [4096, 1 << 30])
def test_mft_maxdevices(tender_name: str, size: int, tmp_path: Path) -> None:
    """63 block devices at once; with 1 GiB devices every chunk size of the
    spt bounds filter is present for each, and the filter still fits."""
    need_module(tender_name, "block")
    args = [
        f"--block:storage{i}={zero_file(tmp_path / f'storage{i}.img', size)}" for i in range(63)
    ]
    result = run_guest(tender_name, "test_mft_maxdevices", tender_args=args)
    check_success(result)
    assert "storage0 is handle 1\n" in result.stdout
    assert "storage62 is handle 63\n" in result.stdout


# --- the spt sandbox: raw system calls outside the device ---------------------------

HOSTILE = ["beyond", "straddle", "huge", "far", "read"]


@pytest.mark.skipif("spt" not in TENDERS, reason="solo5-spt is not built")
@pytest.mark.parametrize("case", HOSTILE)
def test_spt_out_of_bounds_transfer_is_killed(case: str, tmp_path: Path) -> None:
    """pread64/pwrite64 on the device's own fd beyond its end: SIGSYS (159),
    and the file neither grows nor changes."""
    image = tmp_path / "storage.img"
    image.write_bytes(b"\x5a" * MIB)
    result = run_guest("spt", "test_blk_hostile", [case], tender_args=[f"--block:storage={image}"])
    assert result.status == 159, result.describe()
    assert "returned" not in result.stdout, result.describe()
    assert image.read_bytes() == b"\x5a" * MIB


@pytest.mark.skipif("spt" not in TENDERS, reason="solo5-spt is not built")
def test_spt_in_bounds_raw_transfer_is_allowed(tmp_path: Path) -> None:
    """The same raw pwrite64 inside the device is allowed (so the cases
    above are killed for their bounds, not for the call)."""
    image = zero_file(tmp_path / "storage.img", MIB)
    result = run_guest(
        "spt", "test_blk_hostile", ["inside"], tender_args=[f"--block:storage={image}"]
    )
    check_success(result)
    assert "pwrite64 returned 512\n" in result.stdout
    assert image.stat().st_size == MIB


# --- the hvt tender's own checks: raw hypercalls past the bindings -------------------


@pytest.mark.skipif("hvt" not in TENDERS, reason="solo5-hvt is not built")
@pytest.mark.parametrize("sector", [512, 4096])
def test_hvt_tender_checks_raw_block_hypercalls(sector: int, tmp_path: Path) -> None:
    """BLOCK_WRITE/READ by hand: misaligned, partial, out-of-bounds, wrapping
    and bad-handle requests get EINVAL from the tender and touch nothing;
    multi-block ones inside the device work."""
    need_module("hvt", "block")
    size = 16 * sector
    image = zero_file(tmp_path / "storage.img", size)
    result = run_guest(
        "hvt",
        "test_blk_hvt_raw",
        tender_args=[f"--block:storage={image}", f"--block-sector-size:storage={sector}"],
    )
    check_success(result)
    assert "UNEXPECTED" not in result.stdout, result.describe()
    data = image.read_bytes()
    written = b"\xa5" * sector
    assert data == written + bytes(12 * sector) + written * 3
