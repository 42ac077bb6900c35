"""Network devices on every tender (ref §4.6, §6.2-6.3, issue 4).

Every case runs inside a network namespace it creates, with its own tap
devices (tests/support/netns.py): packets never leave it.  Skipped only
where namespaces and taps cannot be made (not root) or the tender has no
net module.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.guest import GuestRun, guest_path, run, run_guest, tender, tenders_under_test
from support.netns import Netns, Tap, netns_with_taps

from devices.helpers import check_error, check_success, need_module, need_netns

TENDERS = tenders_under_test()

FLOOD_PINGS = 100000  # ref §6.3, on every tender
RING_PINGS = 10000  # test_net_ring: payloads the guest verifies
# A flood slower than this cannot finish 100000 pings in the ping deadline.
PING_DEADLINE = 120


def serve_and_ping(
    argv: list[str],
    ns: Netns,
    targets: list[str],
    count: int,
    ready_text: str,
    tmp: Path,
    ping_args: tuple[str, ...] = (),
) -> tuple[GuestRun, list[str]]:
    """Starts the guest in `ns`, waits until it prints `ready_text`, flood-pings
    every target `count` times at once, then waits for the guest to exit.
    Returns the guest's run and each ping's output."""
    out_path = tmp / "guest.out"
    ping_outputs: list[str] = []
    timed_out = False
    with open(out_path, "wb") as out:
        guest = subprocess.Popen(ns.command(argv), stdout=out, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and guest.poll() is None:
                if ready_text.encode() in out_path.read_bytes():
                    break
                time.sleep(0.05)
            if guest.poll() is None:
                flood = ["ping", "-f", "-q", "-c", str(count), "-w", str(PING_DEADLINE)]
                pings = [
                    subprocess.Popen(
                        ns.command([*flood, *ping_args, ip]),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                    for ip in targets
                ]
                ping_outputs = [p.communicate(timeout=PING_DEADLINE + 30)[0] for p in pings]
            _, err = guest.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            guest.kill()
            _, err = guest.communicate()
            timed_out = True
    status = guest.returncode
    status = 128 - status if status < 0 else status
    stdout = out_path.read_text(errors="replace")
    result = GuestRun(argv, status, stdout, err.decode(errors="replace"), timed_out)
    return result, ping_outputs


def net_argv(
    tender_name: str, guest: str, nets: dict[str, str], guest_args: list[str]
) -> list[str]:
    t = tender(tender_name)
    return [
        str(t.binary),
        f"--mem={t.mem}",
        *[f"--net:{name}={tap}" for name, tap in nets.items()],
        "--",
        str(guest_path(guest, tender_name)),
        *guest_args,
    ]


def check_no_loss(ping_output: str, count: int) -> None:
    """`count` sent, `count` received; the rate goes into the message."""
    m = re.search(r"time (\d+)ms", ping_output)
    rate = f"{count / (int(m.group(1)) / 1000):.0f} pings/s" if m and int(m.group(1)) else "?"
    assert f"{count} packets transmitted, {count} received" in ping_output, (
        f"flood rate {rate}\n{ping_output}"
    )


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_flood(tender_name: str, tmp_path: Path) -> None:
    """An ARP+ICMP responder answers 100000 flood pings with no loss."""
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net", {"service0": "tap100"}, ["limit"])
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        result, pings = serve_and_ping(argv, ns, ["10.0.0.2"], FLOOD_PINGS, "serving", tmp_path)
    check_success(result)
    assert f"echo replies sent: {FLOOD_PINGS}" in result.stdout, result.describe()
    check_no_loss(pings[0], FLOOD_PINGS)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_read_polling(tender_name: str, tmp_path: Path) -> None:
    """A guest that never waits in solo5_yield() but calls solo5_net_read()
    until a frame comes gets every frame: on hvt with I/O rings the taps are
    then read by the tender's thread, which such a guest wakes when it finds
    the ring empty (POLL, where the vCPU thread reads them, never comes)."""
    need_module(tender_name, "net")
    need_netns()
    count = RING_PINGS
    argv = net_argv(tender_name, "test_net", {"service0": "tap100"}, ["poll", f"limit={count}"])
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        result, pings = serve_and_ping(argv, ns, ["10.0.0.2"], count, "serving", tmp_path)
    check_success(result)
    check_no_loss(pings[0], count)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_2if(tender_name: str, tmp_path: Path) -> None:
    """Two interfaces at once: 2 x 50000 flood pings, concurrently."""
    need_module(tender_name, "net")
    need_netns()
    count = FLOOD_PINGS // 2
    nets = {"service0": "tap100", "service1": "tap101"}
    argv = net_argv(tender_name, "test_net_2if", nets, [f"limit={2 * count}"])
    taps = [Tap("tap100", "10.0.0.1/24"), Tap("tap101", "10.1.0.1/24")]
    with netns_with_taps(taps) as ns:
        result, pings = serve_and_ping(
            argv, ns, ["10.0.0.2", "10.1.0.2"], count, "service1: serving", tmp_path
        )
    check_success(result)
    assert len(pings) == 2
    for p in pings:
        check_no_loss(p, count)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_reply_then_exit(tender_name: str, tmp_path: Path) -> None:
    """The guest answers one ping and exits at once: the reply still reaches
    the host.  On hvt with I/O rings the tender's thread sends queued frames,
    and the process must not exit before it has (hvt_ring_drain); the same
    race lost replies on virtio under QEMU (tests/virtio/test_devices.py).
    Five runs, each with a fresh guest."""
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net", {"service0": "tap100"}, ["limit=1"])
    for attempt in range(5):
        with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
            result, pings = serve_and_ping(
                argv, ns, ["10.0.0.2"], 1, "serving", tmp_path, ping_args=("-W", "5")
            )
        check_success(result)
        assert "echo replies sent: 1" in result.stdout, result.describe()
        # A flood ping sends again after 10 ms without a reply (a loaded
        # host): the guest, gone after its one reply, leaves that unanswered.
        assert re.search(r"packets transmitted, 1 received", pings[0]), f"run {attempt}: {pings[0]}"


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_payload_integrity(tender_name: str, tmp_path: Path) -> None:
    """`ping -p deadbeef`: the guest checks every payload (test_net_ring)."""
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net_ring", {"service0": "tap100"}, [f"limit={RING_PINGS}"])
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        result, pings = serve_and_ping(
            argv, ns, ["10.0.0.2"], RING_PINGS, "serving", tmp_path, ("-p", "deadbeef")
        )
    check_success(result)
    assert "CORRUPT" not in result.stdout
    assert f"payloads verified: {RING_PINGS}\n" in result.stdout, result.describe()
    check_no_loss(pings[0], RING_PINGS)


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_payload_check_can_fail(tender_name: str, tmp_path: Path) -> None:
    """The check above is real: another pattern is reported as CORRUPT."""
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net_ring", {"service0": "tap100"}, ["limit=10"])
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        result, _ = serve_and_ping(
            argv, ns, ["10.0.0.2"], 10, "serving", tmp_path, ("-p", "deadbeee", "-w", "2")
        )
    assert result.status == 1, result.describe()
    assert "FAILURE: CORRUPT payload" in result.stdout, result.describe()


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_mtu(tender_name: str) -> None:
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net_mtu", {"service0": "tap102"}, [])
    with netns_with_taps([Tap("tap102", None, mtu=9000)]) as ns:
        result = run(ns.command(argv))
    check_success(result)
    assert "MTU is 9000\n" in result.stdout, result.describe()
    assert "frame size limit: mtu + 14\n" in result.stdout, result.describe()


# Opens a tap in the namespace, then execs argv with "@FD" replaced by its fd:
# what an orchestrator that hands a tender an open tap does.
TAP_FD_HELPER = """
import fcntl, os, struct, sys
TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", sys.argv[1].encode(), IFF_TAP | IFF_NO_PI))
os.set_inheritable(fd, True)
argv = [a.replace("@FD", "@%d" % fd) for a in sys.argv[2:]]
os.execv(argv[0], argv)
"""


def with_tap_fd(tap: str, argv: list[str]) -> list[str]:
    return [sys.executable, "-c", TAP_FD_HELPER, tap, *argv]


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_fd_attach_reads_the_mtu(tender_name: str) -> None:
    """--net:NAME=@FD works (broken upstream): the MTU comes from the tap."""
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net_mtu", {"service0": "@FD"}, [])
    with netns_with_taps([Tap("tap102", None, mtu=9000)]) as ns:
        result = run(ns.command(with_tap_fd("tap102", argv)))
    check_success(result)
    assert "MTU is 9000\n" in result.stdout, result.describe()


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_fd_attach_carries_traffic(tender_name: str, tmp_path: Path) -> None:
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net", {"service0": "@FD"}, ["limit=1000"])
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        result, pings = serve_and_ping(
            with_tap_fd("tap100", argv), ns, ["10.0.0.2"], 1000, "serving", tmp_path
        )
    check_success(result)
    check_no_loss(pings[0], 1000)


# --- bad inputs: one clear message naming the culprit, status 1 -----------------------


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_declared_but_not_attached(tender_name: str) -> None:
    need_module(tender_name, "net")
    result = run_guest(tender_name, "test_net_mtu")
    check_error(result, "Device 'service0' of type NET_BASIC declared but not attached.")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_undeclared_name(tender_name: str) -> None:
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net_mtu", {"service0": "tap100", "other": "tap100"}, [])
    with netns_with_taps([Tap("tap100", None)]) as ns:
        result = run(ns.command(argv))
    check_error(result, "Resource not declared in manifest: 'other'")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_attached_twice(tender_name: str) -> None:
    need_module(tender_name, "net")
    need_netns()
    t = tender(tender_name)
    argv = [
        str(t.binary),
        "--net:service0=tap100",
        "--net:service0=tap101",
        str(guest_path("test_net_mtu", tender_name)),
    ]
    with netns_with_taps([Tap("tap100", None), Tap("tap101", None)]) as ns:
        result = run(ns.command(argv))
    check_error(result, "Network device 'service0' is attached twice")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_missing_tap(tender_name: str) -> None:
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net_mtu", {"service0": "tap109"}, [])
    with netns_with_taps([Tap("tap100", None)]) as ns:
        result = run(ns.command(argv))
    check_error(result, "Could not attach interface: tap109: no such interface")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_tap_down(tender_name: str) -> None:
    need_module(tender_name, "net")
    need_netns()
    argv = net_argv(tender_name, "test_net_mtu", {"service0": "tap100"}, [])
    with netns_with_taps([Tap("tap100", None, up=False)]) as ns:
        result = run(ns.command(argv))
    check_error(result, "Could not attach interface: tap100: interface is down")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_fd_not_open(tender_name: str) -> None:
    need_module(tender_name, "net")
    argv = net_argv(tender_name, "test_net_mtu", {"service0": "@99"}, [])
    result = run(argv)
    check_error(result, "Could not attach interface: @99: Bad file descriptor")


@pytest.mark.parametrize("tender_name", TENDERS)
def test_net_fd_not_a_tap(tender_name: str) -> None:
    need_module(tender_name, "net")
    argv = net_argv(tender_name, "test_net_mtu", {"service0": "@0"}, [])
    result = run(argv)
    check_error(result, "Could not attach interface: @0: not a TAP device")
