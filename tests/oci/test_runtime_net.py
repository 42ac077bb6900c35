"""NET_BASIC devices, solo5-oci run directly in a network namespace the test
makes (as an engine would give one): the unikernel owns the interface's
address and MAC, the address reaches it through org.solo5.net-args, and
`delete` leaves the interface as it found it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .engines import unique
from .helpers import Runtime, base_config, created, guest, kvm_usable, make_bundle

TENDERS = ["hvt", "spt"] if kvm_usable() else ["spt"]


def sh(*argv: str) -> str:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, f"{' '.join(argv)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.fixture
def pair() -> Iterator[tuple[str, str]]:
    """Namespace `inside` with eth0 at 10.0.0.2/24 (the container's, as an
    engine makes it), its veth peer at 10.0.0.1 in namespace `outside`."""
    inside, outside = unique("s5oci-in"), unique("s5oci-out")
    for ns in (inside, outside):
        sh("ip", "netns", "add", ns)
    try:
        sh(
            "ip",
            "-n",
            inside,
            "link",
            "add",
            "eth0",
            "type",
            "veth",
            "peer",
            "name",
            "peer0",
            "netns",
            outside,
        )
        sh("ip", "-n", inside, "addr", "add", "10.0.0.2/24", "dev", "eth0")
        sh("ip", "-n", inside, "link", "set", "eth0", "up")
        sh("ip", "-n", inside, "route", "add", "default", "via", "10.0.0.1")
        sh("ip", "-n", outside, "addr", "add", "10.0.0.1/24", "dev", "peer0")
        sh("ip", "-n", outside, "link", "set", "peer0", "up")
        yield inside, outside
    finally:
        for ns in (inside, outside):
            subprocess.run(["ip", "netns", "delete", ns], check=False)


@pytest.mark.parametrize("target", TENDERS)
def test_unikernel_owns_the_interface(
    target: str, pair: tuple[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    inside, outside = pair
    mac = sh("ip", "-n", inside, "-o", "link", "show", "eth0").split("link/ether ")[1].split()[0]
    config = base_config(
        [f"/net.{target}"],
        annotations={"org.solo5.net-args": "limit={prefix}"},  # 24 replies, then SUCCESS
        namespaces=[
            {"type": "pid"},
            {"type": "network", "path": f"/var/run/netns/{inside}"},
            {"type": "mount"},
        ],
    )
    bundle = make_bundle(tmp_path / "b", {f"/net.{target}": guest("net", target)}, config)
    with created(runtime, bundle) as container:
        assert container.created_status() == 0, container.stderr
        init = runtime.state(container.id)["pid"]
        argv = Path(f"/proc/{init}/cmdline").read_bytes().split(b"\0")
        assert f"--net-mac:service0={mac}".encode() in argv and b"limit=24" in argv, argv
        links = sh("ip", "-n", inside, "-o", "link", "show")
        assert "s5tap0" in links and "ingress" in sh(
            "tc", "-n", inside, "qdisc", "show", "dev", "eth0"
        )
        assert runtime.run("start", container.id).status == 0
        container.wait_output("serving ICMP echo at 10.0.0.2")
        ping = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                outside,
                "ping",
                "-c",
                "24",
                "-i",
                "0.01",
                "-w",
                "60",
                "10.0.0.2",
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert "24 packets transmitted, 24 received" in ping.stdout, ping.stdout + ping.stderr
        assert container.exited() == 0, container.stdout + container.stderr
        assert "echo replies sent: 24\nSUCCESS" in container.stdout
        # The namespace's own stack answered nothing: the unikernel did.
        snmp = sh("ip", "netns", "exec", inside, "cat", "/proc/net/snmp").splitlines()
        names, values = [line.split() for line in snmp if line.startswith("Icmp:")][:2]
        assert values[names.index("OutEchoReps")] == "0"
        assert "s5tap" not in sh("ip", "-n", inside, "-o", "link", "show"), "the tap outlived"
        assert runtime.run("delete", container.id).status == 0
    assert "ingress" not in sh("tc", "-n", inside, "qdisc", "show", "dev", "eth0")
    assert sh("ip", "-n", inside, "-o", "link", "show").count("\n") == 2  # lo, eth0


def test_template_from_the_image(pair: tuple[str, str], runtime: Runtime, tmp_path: Path) -> None:
    """The image alone asks for the address (/.solo5/annotations.json): no
    annotation in config.json."""
    inside, _outside = pair
    netns = {"type": "network", "path": f"/var/run/netns/{inside}"}
    own = b'{"org.solo5.net-args": "limit={prefix} gw={gateway}"}'
    files = {"/net.spt": guest("net", "spt"), "/.solo5/annotations.json": own}
    config = base_config(["/net.spt"], namespaces=[netns])
    assert "annotations" not in config
    bundle = make_bundle(tmp_path / "b", files, config)
    with created(runtime, bundle) as container:
        assert container.created_status() == 0, container.stderr
        init = runtime.state(container.id)["pid"]
        argv = Path(f"/proc/{init}/cmdline").read_bytes().split(b"\0")
        assert b"limit=24" in argv and b"gw=10.0.0.1" in argv, argv
        assert runtime.run("delete", "--force", container.id).status == 0
    assert "s5tap" not in sh("ip", "-n", inside, "-o", "link", "show")


def test_interface_already_redirected(
    pair: tuple[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    """A second unikernel on the same interface is refused, the first untouched."""
    inside, _outside = pair
    netns = {"type": "network", "path": f"/var/run/netns/{inside}"}
    files = {"/net.spt": guest("net", "spt")}
    first = make_bundle(tmp_path / "1", files, base_config(["/net.spt"], namespaces=[netns]))
    second = make_bundle(tmp_path / "2", files, base_config(["/net.spt"], namespaces=[netns]))
    with created(runtime, first) as one:
        assert one.created_status() == 0, one.stderr
        with created(runtime, second) as two:
            assert two.created_status() == 1
            assert two.stderr == (
                "solo5-oci: NET_BASIC device 'service0': cannot redirect eth0 to s5tap1: eth0 "
                "already has an ingress qdisc (is another unikernel on it?)\n"
            )
        assert "ingress" in sh("tc", "-n", inside, "qdisc", "show", "dev", "eth0")
        assert "s5tap1" not in sh("ip", "-n", inside, "-o", "link", "show")
