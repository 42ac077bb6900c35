"""Signals to a tender while its guest does I/O (issue 14).

SIGSTOP for seconds and SIGCONT: the guest goes on as if nothing happened
(its deadlines simply pass late), block I/O completes and is right, network
traffic resumes.  SIGTERM and SIGINT: the tender ends at once (solo5-hvt
prints "Exiting on signal N" and exits 1; an spt tender is its guest by
then, with no handler left: it dies of the signal, 143 or 130) and every
write the guest was told succeeded is in the file.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from devices.helpers import check_acknowledged, need_module, need_netns, zero_file
from support.guest import guest_path, tender, tenders_under_test
from support.netns import Tap, netns_with_taps

from .helpers import BlockReport, block_argv, check_acked_blocks, watched

TENDERS = tenders_under_test()
KIB = 1024
BS = 512


@pytest.mark.parametrize("tender_name", TENDERS)
def test_sigstop_sigcont_during_block_io(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "storage.img", 128 * KIB)
    with watched(block_argv(tender_name, "test_blk_fault", image, ["pace=2"])) as w:
        w.wait_for("w 50 ")
        w.signal(signal.SIGSTOP)
        time.sleep(2)
        w.signal(signal.SIGCONT)
        status, out, err = w.finish(timeout=120)
    report = BlockReport.parse(out)
    assert status == 0 and report.success, f"{out}\n{err}"
    assert len(report.acked()) == 256 and set(report.reads.values()) == {"ok"}, out
    check_acked_blocks(image, report.acked(), BS)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_sigstop_sigcont_during_traffic(tender_name: str) -> None:
    need_module(tender_name, "net")
    need_netns()
    t = tender(tender_name)
    with netns_with_taps([Tap("tap0", "10.0.0.1/24")]) as ns:
        argv = [t.binary, f"--mem={t.mem}", "--net:service0=tap0", guest_path("test_net", t.name)]
        with watched(ns.command([str(a) for a in argv])) as w:
            w.wait_for("serving ICMP echo")
            ping = subprocess.Popen(
                ns.command(["ping", "-c", "300", "-i", "0.01", "-W", "5", "10.0.0.2"]),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            time.sleep(1)
            w.signal(signal.SIGSTOP)
            time.sleep(2)
            w.signal(signal.SIGCONT)
            ping_out = ping.communicate(timeout=60)[0]
            alive = w.proc.poll() is None
    m = re.search(r"(\d+) packets transmitted, (\d+) received", ping_out)
    assert alive and m, ping_out
    # Answered before, during (queued in the tap, answered late) and after the stop.
    assert int(m.group(2)) >= 250, ping_out


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_termination_during_writes_keeps_acknowledged_blocks(
    tender_name: str, sig: signal.Signals, tmp_path: Path
) -> None:
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "storage.img", 64 * 1024 * KIB)
    with watched(block_argv(tender_name, "test_blk_ack", image)) as w:
        w.wait_for("ack 360 ")  # first blocks step by 1..8: 360 is one
        w.signal(sig)
        status, out, err = w.finish(timeout=60)
    if tender_name == "hvt":
        assert status == 1 and f"Exiting on signal {int(sig)}" in err, (status, err)
    else:
        assert status == 128 + sig, (status, err)
    assert check_acknowledged(image, out), out
