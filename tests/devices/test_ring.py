"""solo5-hvt's I/O rings (HVT_FEATURE_IO_RINGS, docs/kvm-pvm.md "I/O rings").

Our guests on solo5-hvt move net frames and block requests through the
rings (the other device tests exercise them); these tests check that the
rings are really in use, that the hypercall fallback still serves guests on
tenders that do not offer them, and that a malformed ring entry ends the
guest with status 1 and a message, like a malformed hypercall.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hvt.hvt_env import requires_hvt
from support.guest import (
    GuestRun,
    guest_path,
    run,
    run_guest,
    tender,
    tenders_under_test,
    wait_for_output,
)
from support.netns import Tap, netns_with_taps
from support.paths import BUILD

from devices.helpers import check_success, need_module, need_netns, zero_file
from devices.test_net import check_no_loss, serve_and_ping
from solo5_toolchain import abi

TENDERS = tenders_under_test()
RINGS_IN_USE = "Solo5: hvt: I/O rings in use"
SLOTS = abi.HVT_RING_SLOTS

pytestmark = [
    pytest.mark.skipif("hvt" not in TENDERS, reason="solo5-hvt is not built"),
    requires_hvt,  # every case runs a guest on KVM
]


def test_block_guest_uses_the_rings(tmp_path: Path) -> None:
    need_module("hvt", "block")
    image = zero_file(tmp_path / "storage.img", 64 * 512)
    result = run_guest(
        "hvt", "test_blk", ["--solo5:debug"], tender_args=[f"--block:storage={image}"]
    )
    check_success(result)
    assert RINGS_IN_USE in result.stdout, result.describe()


def test_cpl0_tender_offers_no_rings_and_hypercalls_work(top: Path, tmp_path: Path) -> None:
    """The test tender with every feature bit clear (as upstream's): the
    same guest falls back to BLOCK_* hypercalls and still passes."""
    cpl0 = BUILD / "tests" / "unit" / "hvt_cpl0_tender"
    if not cpl0.is_file():
        pytest.fail(f"{cpl0} is not built: run `scons -Q -j2`")
    image = zero_file(tmp_path / "storage.img", 64 * 512)
    result = run(
        [
            cpl0,
            "--mem=4",
            f"--block:storage={image}",
            guest_path("test_blk", "hvt"),
            "--solo5:debug",
        ],
        timeout=120,
    )
    check_success(result)
    assert RINGS_IN_USE not in result.stdout, result.describe()


def run_hostile(case: str, tmp_path: Path) -> GuestRun:
    need_module("hvt", "net")
    need_module("hvt", "block")
    need_netns()
    image = zero_file(tmp_path / "storage.img", 16 * 512)
    t = tender("hvt")
    argv = [
        str(t.binary), "--mem=4", "--net:service0=tap100", f"--block:storage={image}", "--",
        str(guest_path("test_ring_hostile", "hvt")), case,
    ]  # fmt: skip
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        return run(ns.command(argv), timeout=60)


@pytest.mark.parametrize(
    ("case", "pattern"),
    [
        ("tx_len0", re.escape("service0: Invalid I/O ring frame: len=0 (mtu 1500)")),
        ("tx_len_big", re.escape("service0: Invalid I/O ring frame: len=1536 (mtu 1500)")),
        (
            "tx_index",
            re.escape(f"service0: Invalid I/O ring index: tx_head={SLOTS + 1}, tx_tail=0"),
        ),
        # The numbers depend on frames the tap got before (IPv6 on a fresh tap).
        ("rx_index", r"service0: Invalid I/O ring index: rx_tail=\d+, rx_head=\d+"),
        ("blk_handle", re.escape("Invalid I/O ring block request: handle=1")),
        ("blk_gpa", re.escape("Invalid guest access: gpa=0x10000, sz=512")),
        ("blk_len", re.escape("storage: Invalid I/O ring block request: offset=0, len=100")),
        ("blk_op", re.escape("Invalid I/O ring block request: op=7")),
    ],
)
def test_malformed_ring_entry_ends_the_guest(case: str, pattern: str, tmp_path: Path) -> None:
    result = run_hostile(case, tmp_path)
    assert not result.timed_out, result.describe()
    assert result.status == 1, result.describe()
    assert re.search(f"^solo5-hvt: {pattern}$", result.stderr, re.M), result.describe()
    assert "SURVIVED" not in result.stdout and "NO RINGS" not in result.stdout


def test_valid_raw_ring_request_succeeds(tmp_path: Path) -> None:
    """The control case: the same guest's well-formed request is served."""
    result = run_hostile("ok", tmp_path)
    check_success(result)


@pytest.mark.parametrize("case", ["blk_at_exit", "tx_at_exit"])
def test_any_exit_serves_the_rings(case: str, tmp_path: Path) -> None:
    """A block request or a TX frame the sleeping I/O thread was not kicked
    for is served by the vCPU thread at the next hypercall exit: the bindings
    make one when they wait for a thread that makes no progress (it has no
    CPU), instead of spinning until the host preempts the vCPU."""
    result = run_hostile(case, tmp_path)
    check_success(result)


def test_kicks_wake_the_thread_before_and_after_the_ioeventfd(tmp_path: Path) -> None:
    """100 console lines, each written while the I/O thread sleeps: the
    kick that wakes it is an exit for the first 64 and then goes through
    the KVM_IOEVENTFD solo5-hvt registers; every line is written out while
    the guest waits for it, in order."""
    result = run_hostile("kicks", tmp_path)
    check_success(result)
    lines = "".join(f"kick {i}\n" for i in range(100))
    assert lines in result.stdout, result.describe()


# One broadcast frame of a local experimental ethertype, sent on tap100 from
# inside the namespace.
SEND_ONE_FRAME = (
    "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); "
    "s.bind(('tap100', 0)); s.send(b'\\xff' * 6 + b'\\x02' * 6 + b'\\x88\\xb5' + bytes(46))"
)


def test_frame_that_ends_poll_wakes_the_io_thread(tmp_path: Path) -> None:
    """A frame that comes while the guest waits in POLL and the I/O thread
    sleeps wakes both threads, so that the thread is awake when the guest
    answers (docs/performance.md, "Round 5": the wake-up of an idle CPU is
    no longer paid after the answer): the guest sees the thread's heartbeat
    advance with no kick and no exit.  The tap has no IPv6, so that no other
    frame wakes it."""
    need_module("hvt", "net")
    need_module("hvt", "block")
    need_netns()
    image = zero_file(tmp_path / "storage.img", 16 * 512)
    log = tmp_path / "guest.log"
    argv = [
        str(tender("hvt").binary), "--mem=4", "--busy-poll=0", "--net:service0=tap100",
        f"--block:storage={image}", "--",
        str(guest_path("test_ring_hostile", "hvt")), "rx_wakes_thread",
    ]  # fmt: skip
    with netns_with_taps([Tap("tap100", None, ipv6=False)]) as ns, open(log, "wb") as out:
        guest = subprocess.Popen(ns.command(argv), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_output(guest, log, b"polling", seconds=30)
            time.sleep(0.3)  # the guest waits for the thread to sleep (1 ms), then POLL
            subprocess.run(ns.command([sys.executable, "-c", SEND_ONE_FRAME]), check=True)
            status = guest.wait(timeout=60)
        finally:
            guest.kill()
            guest.wait()
    output = log.read_text()
    assert status == 0 and "SUCCESS" in output, output


def test_net_hypercall_fallback_without_rings(top: Path, tmp_path: Path) -> None:
    """test_net on the test tender that offers no feature bit: NET_READ,
    NET_WRITE and POLL hypercalls (at CPL0, hence few pings) answer every
    ping, and the guest says nothing about rings."""
    need_module("hvt", "net")
    need_netns()
    cpl0 = BUILD / "tests" / "unit" / "hvt_cpl0_tender"
    if not cpl0.is_file():
        pytest.fail(f"{cpl0} is not built: run `scons -Q -j2`")
    argv = [
        str(cpl0), "--mem=4", "--net:service0=tap100", "--",
        str(guest_path("test_net", "hvt")), "--solo5:debug", "limit=20",
    ]  # fmt: skip
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        result, pings = serve_and_ping(argv, ns, ["10.0.0.2"], 20, "serving", tmp_path)
    check_success(result)
    assert RINGS_IN_USE not in result.stdout, result.describe()
    check_no_loss(pings[0], 20)
