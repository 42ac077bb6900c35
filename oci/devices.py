"""The unikernel's manifest devices -> what attaches them in the container.

NET_BASIC devices take the container's interfaces in manifest order (the
first eth0, the next eth1, ...) unless `org.solo5.net.DEVICE` names one;
network.py plumbs them.  BLOCK_BASIC devices are files: by default
/solo5/block/DEVICE in the container (in the image, or a bind mount such as
`podman run -v disk.img:/solo5/block/storage`), or the path
`org.solo5.block.DEVICE` names.  Anything that cannot be attached is an
error now, at `create`, naming the device.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from typing import NamedTuple

from solo5_oci.annotations import BLOCK, NET, Choices
from solo5_oci.errors import OciError
from solo5_oci.rootfs import locate
from solo5_oci.spec import Spec
from solo5_oci.unikernel import Device

BLOCK_DIR = "/solo5/block"
BLOCK_SIZE = 512  # the tenders' default block size


class NetDevice(NamedTuple):
    device: str
    iface: str


class BlockDevice(NamedTuple):
    device: str
    path: str  # in the container
    fd: int  # open read-write; the tender opens /proc/self/fd/<fd>


def _declared(devices: tuple[Device, ...], kind: str) -> list[str]:
    return [d.name for d in devices if d.type == kind]


def _check_known(mapping: Mapping[str, str], declared: list[str], prefix: str, kind: str) -> None:
    for device in mapping:
        if device not in declared:
            names = ", ".join(declared) or "none"
            raise OciError(
                f"annotation {prefix}{device}: the unikernel declares no {kind} device "
                f"{device!r} (its {kind} devices: {names})"
            )


def net_devices(devices: tuple[Device, ...], choices: Choices) -> list[NetDevice]:
    """Each NET_BASIC device with the interface it takes."""
    declared = _declared(devices, "NET_BASIC")
    _check_known(choices.net, declared, NET, "NET_BASIC")
    plan: list[NetDevice] = []
    taken: dict[str, str] = {}
    for index, device in enumerate(declared):
        iface = choices.net.get(device, f"eth{index}")
        if iface in taken:
            raise OciError(
                f"NET_BASIC devices {taken[iface]!r} and {device!r} both on interface {iface} "
                f"(give each its own: annotation {NET}{device}=IFACE)"
            )
        taken[iface] = device
        plan.append(NetDevice(device, iface))
    return plan


def block_path(device: str, choices: Choices) -> str:
    return choices.block.get(device, f"{BLOCK_DIR}/{device}")


def _open_block(spec: Spec, device: str, path: str) -> int:
    what = f"BLOCK_BASIC device {device!r}"
    host = locate(spec.root, spec.root_readonly, spec.mounts, path)
    if host.readonly:
        raise OciError(f"{what}: {path} is on a read-only {host.origin.removeprefix('the ')}")
    try:
        fd = os.open(host.path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise OciError(
            f"{what}: no file {path} in {host.origin} (add one, e.g. podman run "
            f"-v disk.img:{path}, or name it: annotation {BLOCK}{device}=PATH)"
        ) from None
    except OSError as error:
        raise OciError(f"{what}: {path}: {error.strerror or error}") from None
    info = os.fstat(fd)
    size = info.st_size
    if stat.S_ISBLK(info.st_mode):
        size = os.lseek(fd, 0, os.SEEK_END)
    elif not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise OciError(f"{what}: {path} is not a regular file or block device")
    if size == 0 or size % BLOCK_SIZE:
        os.close(fd)
        raise OciError(
            f"{what}: {path} is {size} bytes, not a whole number of {BLOCK_SIZE}-byte blocks"
        )
    return fd


def block_devices(spec: Spec, devices: tuple[Device, ...], choices: Choices) -> list[BlockDevice]:
    """Each BLOCK_BASIC device with its file, opened read-write."""
    declared = _declared(devices, "BLOCK_BASIC")
    _check_known(choices.block, declared, BLOCK, "BLOCK_BASIC")
    opened: list[BlockDevice] = []
    try:
        for device in declared:
            path = block_path(device, choices)
            opened.append(BlockDevice(device, path, _open_block(spec, device, path)))
    except BaseException:
        for block in opened:
            os.close(block.fd)
        raise
    return opened
