"""A tap brought down, or removed, while the guest runs (issue 14).

Each runs on spt, on solo5-hvt with our guest (its I/O rings), and on
solo5-hvt with the upstream-style build of the guest (its hypercalls).

Down (the operator's `ip link set TAP down`, a bridge reconfigured): a
transient fault.  The guest keeps running; what it sends meanwhile is lost
(spt and solo5-hvt's hypercalls: solo5_net_write() returns
SOLO5_R_EUNSPEC; through solo5-hvt's I/O rings the frame is dropped, as a
NIC without carrier drops it) and nothing arrives; once the tap is up
again traffic flows.  Upstream's solo5-hvt instead exited ("Fatal error
when writing: Input/output error").

Removed (`ip link del TAP`): permanent, the tap's fd is dead for good and
epoll reports it forever.  The guest ends with status 1 and one line
naming the device, so that a supervisor sees why and can restart it
(upstream: `Fatal error when reading: File descriptor in bad state` on hvt;
a spinning guest on spt).
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from devices.helpers import need_module, need_netns
from support.guest import tenders_under_test
from support.netns import Netns, Tap, netns_with_taps

from .helpers import HYPERCALLS, kernel, watched

TENDERS = tenders_under_test()
# solo5-hvt's net hypercalls too (its own guests use the I/O rings).
VARIANTS = TENDERS + [HYPERCALLS] * ("hvt" in TENDERS)
GONE = "service0: the tap device was removed from the host"


def net_argv(ns: Netns, variant: str, args: list[str]) -> list[str]:
    binary, unikernel = kernel(variant, "test_net")
    argv = [binary, "--mem=2", "--net:service0=tap0", unikernel]
    return ns.command([str(a) for a in argv] + args)


def ping(ns: Netns, count: int) -> int:
    out = subprocess.run(
        ns.command(["ping", "-c", str(count), "-i", "0.05", "-W", "2", "10.0.0.2"]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    m = re.search(r"(\d+) received", out)
    return int(m.group(1)) if m else 0


@pytest.mark.parametrize("tender_name", VARIANTS)
def test_tap_down_then_up(tender_name: str) -> None:
    need_module(tender_name.split("-")[0], "net")
    need_netns()
    with (
        netns_with_taps([Tap("tap0", "10.0.0.1/24")]) as ns,
        watched(net_argv(ns, tender_name, ["announce=20", "limit=20"])) as w,
    ):
        w.wait_for("serving ICMP echo")
        assert ping(ns, 5) == 5
        subprocess.run(ns.command(["ip", "link", "set", "tap0", "down"]), check=True)
        time.sleep(0.5)  # ~25 announcements into a tap that is down
        subprocess.run(ns.command(["ip", "link", "set", "tap0", "up"]), check=True)
        assert ping(ns, 15) >= 14
        status, out, err = w.finish(timeout=60)
    assert status == 0 and "SUCCESS" in out, f"{out}\n{err}"
    m = re.search(r"announcements: ok (\d+) failed (\d+)", out)
    assert m and int(m.group(1)) > 0, out
    if tender_name != "hvt":  # the rings drop the frame without a result
        assert int(m.group(2)) > 0, out  # the guest saw SOLO5_R_EUNSPEC
    assert "error" not in err.lower(), err


@pytest.mark.parametrize("tender_name", VARIANTS)
@pytest.mark.parametrize("announce", [False, True], ids=["idle", "sending"])
def test_tap_removed_ends_the_guest_with_a_message(tender_name: str, announce: bool) -> None:
    need_module(tender_name.split("-")[0], "net")
    need_netns()
    with (
        netns_with_taps([Tap("tap0", "10.0.0.1/24")]) as ns,
        watched(net_argv(ns, tender_name, ["announce=20"] if announce else [])) as w,
    ):
        w.wait_for("serving ICMP echo")
        assert ping(ns, 2) == 2
        subprocess.run(ns.command(["ip", "link", "del", "tap0"]), check=True)
        status, out, err = w.finish(timeout=30)
    assert status == 1, f"status {status}\n{out}\n{err}"
    assert GONE in out + err, f"{out}\n{err}"
