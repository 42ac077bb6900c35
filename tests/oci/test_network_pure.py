"""The pure parts of the network plumbing: gateway from /proc/net/route, the
tc commands, the guest argument template."""

from __future__ import annotations

import pytest

from solo5_oci.errors import OciError
from solo5_oci.network import Attached, Interface, default_gateway, expand_args, tc_commands

ROUTES = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""


def test_default_gateway() -> None:
    assert default_gateway(ROUTES, "eth0") == "10.0.0.1"
    assert default_gateway(ROUTES, "eth1") is None
    assert default_gateway("", "eth0") is None


def test_tc_commands() -> None:
    assert tc_commands("eth0", "s5tap0").splitlines() == [
        "qdisc add dev eth0 ingress",
        "filter add dev eth0 parent ffff: protocol all u32 match u32 0 0 action mirred egress "
        "redirect dev s5tap0",
        "qdisc add dev s5tap0 ingress",
        "filter add dev s5tap0 parent ffff: protocol all u32 match u32 0 0 action mirred egress "
        "redirect dev eth0",
    ]


ETH0 = Interface("eth0", "02:00:00:00:00:01", 1500, "10.0.0.2", 24, "10.0.0.1")
ETH1 = Interface("eth1", "02:00:00:00:00:02", 9000, "10.1.0.2", 16, None)
ATTACHED = [Attached("service0", ETH0, "s5tap0", 5), Attached("service1", ETH1, "s5tap1", 6)]


def test_template() -> None:
    template = "--ipv4={addr}/{prefix} --ipv4-gateway={gateway} --mac={mac} x={service1.addr}"
    assert expand_args(template, ATTACHED) == [
        "--ipv4=10.0.0.2/24",
        "--ipv4-gateway=10.0.0.1",
        "--mac=02:00:00:00:00:01",
        "x=10.1.0.2",
    ]
    assert expand_args("{service1.mtu}", ATTACHED) == ["9000"]


@pytest.mark.parametrize(
    ("template", "attached", "message"),
    [
        ("{bogus}", ATTACHED, "unknown field {bogus} (known: addr, prefix, gateway, mac, mtu)"),
        ("{addr}", [], "the unikernel has no NET_BASIC device"),
        ("{service9.addr}", ATTACHED, "{service9.addr}: no NET_BASIC device 'service9'"),
        ("{service1.gateway}", ATTACHED, "{service1.gateway}: eth1 has no IPv4 default gateway"),
    ],
)
def test_bad_template(template: str, attached: list[Attached], message: str) -> None:
    with pytest.raises(OciError) as error:
        expand_args(template, attached)
    assert str(error.value) == f"annotation org.solo5.net-args: {message}"
