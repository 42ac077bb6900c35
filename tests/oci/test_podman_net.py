"""A unikernel on a podman network: it owns the container's address.

Everything happens in a network namespace the test makes: podman runs in it
(`nsenter --net`, which keeps /sys and the cgroup mounts runc-style runtimes
need, unlike `ip netns exec`), so its bridge, the container's veth and every
packet stay there; the host's interfaces, routes and firewall rules are
compared before and after.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from .engines import Podman, unique
from .helpers import kvm_usable

TENDERS = ["hvt", "spt"] if kvm_usable() else ["spt"]
PINGS = 10000
GUEST_IP = "10.0.0.2"  # test_net answers there


def _out(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None:
        return f"({argv[0]} not installed)"
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    return proc.stdout + proc.stderr


def host_network() -> dict[str, str]:
    """The host's interfaces, addresses, routes, rules and firewall, without
    counters and timestamps."""
    iptables = "\n".join(
        line
        for tool in ("iptables-save", "ip6tables-save")
        for line in _out([tool]).splitlines()
        if not line.startswith("#")
    )
    return {
        "links": _out(["ip", "-o", "link", "show"]),
        "addresses": _out(["ip", "-o", "address", "show"]),
        "routes": _out(["ip", "route", "show", "table", "all"])
        + _out(["ip", "-6", "route", "show", "table", "all"]),
        "rules": _out(["ip", "rule"]) + _out(["ip", "-6", "rule"]),
        "iptables": re.sub(r"\[\d+:\d+\]", "", iptables),
        "nftables": re.sub(
            r"counter packets \d+ bytes \d+", "counter", _out(["nft", "list", "ruleset"])
        ),
    }


def icmp_echo_replies(netns_path: str) -> int:
    """Echo replies the Linux stack of a network namespace has sent."""
    snmp = _out(["nsenter", f"--net={netns_path}", "cat", "/proc/net/snmp"]).splitlines()
    names, values = [line.split() for line in snmp if line.startswith("Icmp:")][:2]
    return int(values[names.index("OutEchoReps")])


@pytest.fixture
def netns() -> str:
    name = unique("s5oci")
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    yield name  # type: ignore[misc]
    subprocess.run(["ip", "netns", "delete", name], check=False)


@pytest.mark.parametrize("target", TENDERS)
def test_flood_ping(target: str, podman: Podman, podman_image: str, netns: str) -> None:
    before = host_network()
    network, name = unique("s5oci-net"), unique("solo5-oci-net")
    created = podman(
        "network", "create", "--subnet", "10.0.0.0/24", "--disable-dns", network, netns=netns
    )
    assert created.status == 0, created.describe()
    try:
        started = podman(
            *podman.run_args("-d", "--name", name, "--network", network, "--ip", GUEST_IP),
            podman_image,
            f"/net.{target}",
            netns=netns,
        )
        assert started.status == 0, started.describe()
        for _ in range(600):
            if "serving ICMP echo" in podman("logs", name, netns=netns).stdout:
                break
        sandbox = podman(
            "inspect", "--format", "{{.NetworkSettings.SandboxKey}}", name, netns=netns
        ).stdout.strip()
        ping = subprocess.run(
            [
                "nsenter",
                f"--net=/var/run/netns/{netns}",
                "ping",
                "-f",
                "-q",
                "-c",
                str(PINGS),
                "-w",
                "120",
                GUEST_IP,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert f"{PINGS} packets transmitted, {PINGS} received, 0% packet loss" in ping.stdout, (
            ping.stdout + ping.stderr
        )
        # The unikernel answered, not the Linux stack of the container's namespace.
        assert icmp_echo_replies(sandbox) == 0
        stopped = podman("stop", "--time", "60", name, netns=netns)
        assert stopped.status == 0, stopped.describe()
        code = podman("inspect", "--format", "{{.State.ExitCode}}", name, netns=netns)
        assert code.stdout.strip() == "143", code.describe()
        logs = podman("logs", name, netns=netns).stdout
        assert f"service0: serving ICMP echo at {GUEST_IP}" in logs, logs
    finally:
        podman("rm", "--force", "--time", "0", name, netns=netns)
        podman("network", "rm", "--force", network, netns=netns)
    assert host_network() == before
