"""virtio-blk and virtio-net under QEMU: test_blk against a raw image, the
ARP/ICMP responder flood-pinged in a private network namespace, the MTU, and
devices declared but not given (ref §6.3 virtio rows).  Counts are small:
QEMU runs the guest with TCG here (docs/kvm-pvm.md)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from support.netns import Tap, netns_with_taps, why_unavailable
from virtio_support import STAGE, guest, virtio_run

MIB = 1 << 20
PINGS = 500


def test_blk(tmp_path: Path) -> None:
    image = tmp_path / "storage.img"
    image.write_bytes(bytes(4 * MIB))
    result = virtio_run(["-q", "-d", image, guest("test_blk")])
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout
    assert f"capacity {4 * MIB} bytes, block size 512" in result.stdout
    # The guest's writes reached the file (what it writes is test_blk.c's
    # business; that it read them back is its SUCCESS).
    data = image.read_bytes()
    assert len(data) == 4 * MIB
    assert data[:512] != bytes(512), "block 0 was never written"


def test_blk_declared_but_not_attached() -> None:
    result = virtio_run(["-q", guest("test_blk")])
    assert result.status == 255, result.describe()
    assert "Device 'storage' of type BLOCK_BASIC declared but not attached." in result.stdout


def need_netns() -> None:
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)


def serve_and_ping(argv: list[str], ns_command: list[str], ips: list[str],
                   ready: str, tmp: Path) -> tuple[int, str, list[str]]:
    out_path = tmp / "guest.out"
    with open(out_path, "wb") as out:
        qemu = subprocess.Popen([*ns_command, *argv], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and qemu.poll() is None:
                if ready.encode() in out_path.read_bytes():
                    break
                time.sleep(0.1)
            pings = [subprocess.Popen([*ns_command, "ping", "-f", "-q", "-c", str(PINGS),
                                       "-w", "100", ip], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True) for ip in ips]
            outputs = [p.communicate(timeout=150)[0] for p in pings]
            status = qemu.wait(timeout=60)
        finally:
            if qemu.poll() is None:
                qemu.kill()
                qemu.wait()
    return status, out_path.read_text(errors="replace"), outputs


def test_net(tmp_path: Path) -> None:
    need_netns()
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        argv = [str(STAGE / "bin" / "solo5-virtio-run"), "-q", "-n", "tap100",
                str(guest("test_net")), f"limit={PINGS}"]
        status, out, pings = serve_and_ping(argv, ns.command([]), ["10.0.0.2"], "serving",
                                            tmp_path)
    assert status == 0, out
    assert "SUCCESS" in out and f"echo replies sent: {PINGS}" in out, out
    assert f"{PINGS} packets transmitted, {PINGS} received" in pings[0], pings[0]


def test_net_2if(tmp_path: Path) -> None:
    need_netns()
    taps = [Tap("tap100", "10.0.0.1/24"), Tap("tap101", "10.1.0.1/24")]
    with netns_with_taps(taps) as ns:
        argv = [str(STAGE / "bin" / "solo5-virtio-run"), "-q", "-n", "tap100", "-n", "tap101",
                str(guest("test_net_2if")), f"limit={2 * PINGS}"]
        status, out, pings = serve_and_ping(argv, ns.command([]), ["10.0.0.2", "10.1.0.2"],
                                            "service1: serving", tmp_path)
    assert status == 0, out
    for p in pings:
        assert f"{PINGS} packets transmitted, {PINGS} received" in p, p


def test_net_mtu() -> None:
    need_netns()
    with netns_with_taps([Tap("tap102", None, mtu=9000)]) as ns:
        result = virtio_run(["-q", "-n", "tap102", guest("test_net_mtu")], wrap=ns.command([]))
    assert result.status == 0, result.describe()
    assert "MTU is 9000\n" in result.stdout, result.describe()


def test_net_declared_but_not_attached() -> None:
    result = virtio_run(["-q", guest("test_net_mtu")])
    assert result.status == 255, result.describe()
    assert "Device 'service0' of type NET_BASIC declared but not attached." in result.stdout
