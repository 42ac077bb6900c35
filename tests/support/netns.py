"""Private network namespaces with tap devices, for the network tests.

Every packet a test sends stays inside a namespace the test created itself
(`ip netns add`), which is deleted again afterwards, taps included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Tap:
    name: str
    host_ip: str | None  # the host side's address, e.g. "10.0.0.1/24"
    mtu: int = 1500
    up: bool = True  # False: left down (tenders must refuse it)
    ipv6: bool = True  # False: the host sends nothing to it unasked (no RS, DAD, MLD)


class NetnsUnavailable(Exception):
    """This host cannot create namespaces or taps (not root, no iproute2...)."""


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


def why_unavailable() -> str | None:
    """None if namespaces with taps can be made here, else the reason."""
    if os.geteuid() != 0:
        return "network namespaces and tap devices need root"
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed"
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun does not exist"
    return None


@dataclass(frozen=True)
class Netns:
    name: str

    def command(self, argv: Sequence[str]) -> list[str]:
        """argv run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]


@contextmanager
def netns_with_taps(taps: Sequence[Tap]) -> Iterator[Netns]:
    """A fresh namespace holding `taps` (up unless told, with their address
    and MTU)."""
    reason = why_unavailable()
    if reason:
        raise NetnsUnavailable(reason)
    name = f"solo5-test-{uuid.uuid4().hex[:8]}"
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        for tap in taps:
            _ip("-n", name, "tuntap", "add", "dev", tap.name, "mode", "tap")
            _ip("-n", name, "link", "set", "dev", tap.name, "mtu", str(tap.mtu))
            if not tap.ipv6:
                _ip("netns", "exec", name, "sysctl", "-qw",
                    f"net.ipv6.conf.{tap.name}.disable_ipv6=1")  # fmt: skip
            if tap.host_ip:
                _ip("-n", name, "addr", "add", tap.host_ip, "dev", tap.name)
            if tap.up:
                _ip("-n", name, "link", "set", "dev", tap.name, "up")
        yield Netns(name)
    finally:
        # Deleting the namespace deletes the taps in it.
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)
