"""Give a unikernel the container's network interface (run inside its netns).

For each NET_BASIC device: a TAP interface is created in the container's
network namespace (not persistent: it lives as long as its fd, which the
tender inherits, so it disappears with the tender), given the MTU of the
engine's interface (eth0, a veth), and the two are joined by tc: everything
arriving on eth0 is redirected out of the tap and everything the unikernel
sends out of eth0, as container VM runtimes do.  The tender gets the tap's
fd (`--net:DEVICE=@FD`) and eth0's MAC (`--net-mac:`), so the unikernel owns
the container's MAC and IP address on the engine's network.

The one thing left on eth0 when the tender is gone is the ingress qdisc;
`delete` removes it (network namespaces that outlive the container are
reused by Kubernetes pods).
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import re
import shutil
import socket
import struct
from collections.abc import Sequence
from typing import NamedTuple

from solo5_oci.annotations import NET_ARGS
from solo5_oci.devices import NetDevice
from solo5_oci.errors import OciError

TYPE_CHECKING = False  # not typing's: importing typing costs each command ms
if TYPE_CHECKING:
    import subprocess

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B
SIOCGIFMTU = 0x8921
SIOCSIFMTU = 0x8922
SIOCGIFHWADDR = 0x8927
TUNSETIFF = 0x400454CA
IFF_UP = 0x1
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
TAP_PATTERN = "s5tap%d"  # the kernel picks the number


class Interface(NamedTuple):
    """What the engine gave the container on one interface."""

    name: str
    mac: str
    mtu: int
    addr: str | None = None  # IPv4
    prefix: int | None = None
    gateway: str | None = None


class Attached(NamedTuple):
    device: str
    iface: Interface
    tap: str
    fd: int  # the tap's fd, inheritable


def _ifreq(name: str, payload: bytes = b"") -> bytes:
    return struct.pack("16s", name.encode()) + payload.ljust(24, b"\0")


def _ioctl(sock: socket.socket, request: int, name: str, payload: bytes = b"") -> bytes:
    result = fcntl.ioctl(sock.fileno(), request, _ifreq(name, payload))
    assert isinstance(result, bytes)
    return result[16:]


def default_gateway(route_table: str, iface: str) -> str | None:
    """The IPv4 default gateway through `iface` in /proc/net/route's text."""
    for line in route_table.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 3 and fields[0] == iface and fields[1] == "00000000":
            gateway = int(fields[2], 16)
            if gateway:
                return str(ipaddress.IPv4Address(gateway.to_bytes(4, "little")))
    return None


def _ipv4(sock: socket.socket, name: str) -> tuple[str | None, int | None]:
    try:
        addr = _ioctl(sock, SIOCGIFADDR, name)[4:8]
        mask = _ioctl(sock, SIOCGIFNETMASK, name)[4:8]
    except OSError:
        return None, None  # no IPv4 address
    prefix = bin(int.from_bytes(mask, "big")).count("1")
    return socket.inet_ntoa(addr), prefix


def interface(sock: socket.socket, name: str, routes: str) -> Interface:
    """The MAC, MTU and IPv4 configuration of `name` (OSError if absent)."""
    mac = _ioctl(sock, SIOCGIFHWADDR, name)[2:8]
    (mtu,) = struct.unpack_from("i", _ioctl(sock, SIOCGIFMTU, name))
    addr, prefix = _ipv4(sock, name)
    return Interface(
        name, ":".join(f"{b:02x}" for b in mac), mtu, addr, prefix, default_gateway(routes, name)
    )


def _create_tap(sock: socket.socket, mtu: int) -> tuple[str, int]:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    try:
        request = struct.pack("16sH", TAP_PATTERN.encode(), IFF_TAP | IFF_NO_PI).ljust(40, b"\0")
        result = fcntl.ioctl(fd, TUNSETIFF, request)
        assert isinstance(result, bytes)
        name = result[:16].rstrip(b"\0").decode()
        _ioctl(sock, SIOCSIFMTU, name, struct.pack("i", mtu))
        (flags,) = struct.unpack_from("H", _ioctl(sock, SIOCGIFFLAGS, name))
        _ioctl(sock, SIOCSIFFLAGS, name, struct.pack("H", flags | IFF_UP))
    except BaseException:
        os.close(fd)
        raise
    return name, fd


def tc_commands(iface: str, tap: str) -> str:
    """tc -batch input joining `iface` and `tap` both ways."""
    redirect = "protocol all u32 match u32 0 0 action mirred egress redirect dev"
    return (
        f"qdisc add dev {iface} ingress\n"
        f"filter add dev {iface} parent ffff: {redirect} {tap}\n"
        f"qdisc add dev {tap} ingress\n"
        f"filter add dev {tap} parent ffff: {redirect} {iface}\n"
    )


def _tc(commands: str, keep_going: bool = False) -> subprocess.CompletedProcess[str]:
    import subprocess  # only containers with network devices pay for it

    tc = shutil.which("tc") or shutil.which("tc", path="/usr/sbin:/sbin")
    if tc is None:
        raise OciError("tc (iproute2) is not installed: it joins the tap to the interface")
    return subprocess.run(
        [tc, *(["-force"] if keep_going else []), "-batch", "-"],
        input=commands,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def _join(device: str, iface: str, tap: str) -> None:
    result = _tc(tc_commands(iface, tap))
    if result.returncode == 0:
        return
    detail = (result.stderr.strip().splitlines() or ["tc failed"])[0]
    if "Command failed -:1" in result.stderr:
        # The first command, adding the ingress qdisc: nothing of ours to undo.
        if "Exclusivity flag on" in result.stderr or "File exists" in result.stderr:
            detail = f"{iface} already has an ingress qdisc (is another unikernel on it?)"
    else:
        remove_ingress([iface])
    raise OciError(f"NET_BASIC device {device!r}: cannot redirect {iface} to {tap}: {detail}")


def _routes() -> str:
    try:
        with open("/proc/self/net/route", encoding="ascii") as stream:
            return stream.read()
    except OSError:
        return ""


def attach(nets: Sequence[NetDevice]) -> list[Attached]:
    """A tap joined to each device's interface; run in the container's netns."""
    attached: list[Attached] = []
    routes = _routes()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            for net in nets:
                attached.append(_attach_one(sock, net, routes))
        except BaseException:
            release(attached)
            raise
    return attached


def _attach_one(sock: socket.socket, net: NetDevice, routes: str) -> Attached:
    try:
        iface = interface(sock, net.iface, routes)
    except OSError:
        names = ", ".join(name for _i, name in socket.if_nameindex())
        raise OciError(
            f"NET_BASIC device {net.device!r}: no interface {net.iface} in the container's "
            f"network namespace (it has: {names or 'none'})"
        ) from None
    try:
        tap, fd = _create_tap(sock, iface.mtu)
    except OSError as error:
        raise OciError(
            f"NET_BASIC device {net.device!r}: cannot create a tap: {error.strerror or error}"
        ) from None
    try:
        _join(net.device, iface.name, tap)
    except BaseException:
        os.close(fd)
        raise
    os.set_inheritable(fd, True)
    return Attached(net.device, iface, tap, fd)


def remove_ingress(ifaces: Sequence[str]) -> None:
    """Remove what attach() left on the engine's interfaces (best effort:
    the interface may be gone with its namespace)."""
    if ifaces:
        _tc("".join(f"qdisc del dev {name} ingress\n" for name in ifaces), keep_going=True)


def release(attached: Sequence[Attached]) -> None:
    """Undo attach() (a failed create): the taps go with their fds."""
    for item in attached:
        os.close(item.fd)
    remove_ingress([item.iface.name for item in attached])


_PLACEHOLDER = re.compile(r"\{(?:([A-Za-z0-9]+)\.)?([a-z]+)\}")
_FIELDS = ("addr", "prefix", "gateway", "mac", "mtu")


def expand_args(template: str, attached: Sequence[Attached]) -> list[str]:
    """The guest arguments of org.solo5.net-args: {addr}, {prefix}, {gateway},
    {mac}, {mtu} of the first NET_BASIC device, {DEVICE.addr} of any."""
    by_name = {item.device: item.iface for item in attached}

    def value(match: re.Match[str]) -> str:
        device, name = match.group(1), match.group(2)
        if name not in _FIELDS:
            raise OciError(
                f"annotation {NET_ARGS}: unknown field {match.group(0)} "
                f"(known: {', '.join(_FIELDS)})"
            )
        if device is None:
            if not attached:
                raise OciError(f"annotation {NET_ARGS}: the unikernel has no NET_BASIC device")
            iface = attached[0].iface
        elif device in by_name:
            iface = by_name[device]
        else:
            raise OciError(
                f"annotation {NET_ARGS}: {match.group(0)}: no NET_BASIC device {device!r}"
            )
        found = getattr(iface, name)
        if found is None:
            raise OciError(
                f"annotation {NET_ARGS}: {match.group(0)}: {iface.name} has no IPv4 "
                f"{'default gateway' if name == 'gateway' else 'address'}"
            )
        return str(found)

    return [_PLACEHOLDER.sub(value, word) for word in template.split()]
