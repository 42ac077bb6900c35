"""Block devices whose host storage fails under the guest (issue 14).

A full disk, a file truncated while the guest uses it, an I/O error (a FUSE
file that fails a range on demand: this host's kernel has no
device-mapper): the guest's call gets SOLO5_R_EUNSPEC and the guest goes
on, the tender survives (solo5-hvt warns once per device), and every write
the guest was told succeeded is in the file.  The guest is test_blk_fault:
one write per block, then one read per block, each result printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from devices.helpers import need_module, zero_file
from support.guest import tenders_under_test

from .helpers import (
    HYPERCALLS,
    BlockReport,
    block_argv,
    check_acked_blocks,
    faultfs,
    small_tmpfs,
    watched,
)

TENDERS = tenders_under_test()
# solo5-hvt's block hypercalls too (its own guests use the I/O rings).
VARIANTS = TENDERS + [HYPERCALLS] * ("hvt" in TENDERS)
KIB = 1024
BS = 512
SIZE = 256 * KIB  # 512 blocks, one call each
WARNING = "WARNING: storage: "


def run_fault_guest(tender_name: str, image: Path, args: tuple[str, ...] = ()) -> tuple:
    with watched(block_argv(tender_name, "test_blk_fault", image, args)) as w:
        status, out, err = w.finish(timeout=120)
    return status, BlockReport.parse(out), out, err


def check_survived(tender_name: str, status: int, report: BlockReport, out: str, err: str) -> None:
    assert status == 0 and report.success, f"status {status}\n{out}\n{err}"
    warnings = [line for line in err.splitlines() if WARNING in line]
    if tender_name.startswith("hvt"):
        # One line per device, however many calls failed.
        assert len(warnings) == 1 and "SOLO5_R_EUNSPEC" in warnings[0], err
    else:
        assert warnings == [], err  # spt's guest makes the calls itself


@pytest.mark.parametrize("tender_name", VARIANTS)
def test_disk_full_during_writes(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name.split("-")[0], "block")
    with small_tmpfs(tmp_path / "small", "128k") as disk:
        image = zero_file(disk / "storage.img", SIZE)  # sparse: takes no room yet
        status, report, out, err = run_fault_guest(tender_name, image)
        check_survived(tender_name, status, report, out, err)
        acked = report.acked()
        # Acknowledged until the tmpfs was full, refused from there on.
        assert 0 < len(acked) < len(report.writes), out
        assert acked == list(range(len(acked))), out
        assert all(r == "eunspec" for b, r in report.writes.items() if b >= len(acked))
        check_acked_blocks(image, acked, BS)
        if tender_name.startswith("hvt"):
            assert "No space left on device" in err


@pytest.mark.parametrize("tender_name", TENDERS)
def test_file_truncated_under_the_guest(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "storage.img", SIZE)
    half = SIZE // 2
    with watched(block_argv(tender_name, "test_blk_fault", image, ["wait=2"])) as w:
        w.wait_for("written ")
        os.truncate(image, half)  # while the guest waits between its writes and reads
        status, out, err = w.finish(timeout=120)
    report = BlockReport.parse(out)
    check_survived(tender_name, status, report, out, err)
    blocks = SIZE // BS
    assert len(report.acked()) == blocks, out
    assert {b for b, r in report.reads.items() if r == "eunspec"} == set(range(blocks // 2, blocks))
    assert all(report.reads[b] == "ok" for b in range(blocks // 2)), out
    check_acked_blocks(image, range(blocks // 2), BS)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_io_error(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name, "block")
    backing = zero_file(tmp_path / "backing.img", SIZE)
    failing = range(64, 128)  # blocks
    with faultfs(tmp_path, backing) as mount:
        (mount / "ctl").write_text(f"eio {failing.start * BS} {failing.stop * BS}")
        status, report, out, err = run_fault_guest(tender_name, mount / "disk")
    check_survived(tender_name, status, report, out, err)
    assert {b for b, r in report.writes.items() if r == "eunspec"} == set(failing), out
    assert {b for b, r in report.reads.items() if r == "eunspec"} == set(failing), out
    check_acked_blocks(backing, report.acked(), BS)
    if tender_name == "hvt":
        assert "Input/output error" in err
