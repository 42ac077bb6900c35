"""What the annotations of a container ask of solo5-oci (docs/containers.md).

Ours, all optional (a unikernel describes itself: its ABI note names the
tender, its manifest the devices):

    org.solo5.tender=hvt|spt           run on this tender (see unikernel.py)
    org.solo5.net.DEVICE=IFACE         NET_BASIC DEVICE on interface IFACE
    org.solo5.block.DEVICE=PATH        BLOCK_BASIC DEVICE is the file at PATH
    org.solo5.net-args=TEMPLATE        guest arguments with the address:
                                       "--ipv4={addr}/{prefix} --ipv4-gateway={gateway}"

An image may carry ours itself, as the JSON object of strings in
/.solo5/annotations.json of its rootfs (not every engine passes an image's
own annotations to the runtime): the container's annotations win over the
file's, which win over urunc's.

urunc's, so that images made for urunc's Solo5 support run unchanged, from
the annotations or else from /urunc.json in the rootfs (base64 values, as
urunc's image builder writes them): com.urunc.unikernel.{binary, cmdline,
hypervisor, solo5NetDev, solo5BlkDev, block}.  Ours win where both speak.

Kubernetes' sandbox ("pause") containers are recognised by the annotations
containerd and CRI-O give them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from solo5_oci.errors import OciError

PREFIX = "org.solo5."
TENDER = "org.solo5.tender"
NET = "org.solo5.net."
BLOCK = "org.solo5.block."
NET_ARGS = "org.solo5.net-args"
BUSY_POLL = "org.solo5.busy-poll"  # solo5-hvt --busy-poll=USEC
HUGEPAGES = "org.solo5.hugepages"  # true: solo5-hvt --hugepages

URUNC = "com.urunc.unikernel."
URUNC_BINARY = URUNC + "binary"
URUNC_CMDLINE = URUNC + "cmdline"
URUNC_HYPERVISOR = URUNC + "hypervisor"
URUNC_NET_DEVICE = URUNC + "solo5NetDev"
URUNC_BLOCK_DEVICE = URUNC + "solo5BlkDev"
URUNC_BLOCK = URUNC + "block"
URUNC_JSON = "urunc.json"
IMAGE_FILE = ".solo5/annotations.json"  # in the rootfs: the image's own
# urunc's other keys (unikernelType, initrd, blkMntPoint, useDMBlock, ...)
# mean nothing to a Solo5 tender: they are ignored.

SANDBOX_KEYS = ("io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType")

TENDERS = ("hvt", "spt")
_DEVICE_NAME = re.compile(r"^[A-Za-z0-9]{1,67}$")
_IFACE_NAME = re.compile(r"^[^\s/:]{1,15}$")


class Choices(NamedTuple):
    """The container's annotations, checked; None/empty where nothing is asked."""

    tender: str | None = None
    tender_key: str = TENDER  # the annotation that chose it, for messages
    binary: str | None = None  # the unikernel's path in the container
    cmdline: str | None = None  # replaces process.args[1:] (urunc)
    net: Mapping[str, str] = MappingProxyType({})  # device -> interface
    block: Mapping[str, str] = MappingProxyType({})  # device -> path
    net_args: str | None = None
    busy_poll: int | None = None  # microseconds; hvt only
    hugepages: bool = False  # hvt only
    sandbox: bool = False


def is_sandbox(annotations: Mapping[str, str]) -> bool:
    """A Kubernetes pod's sandbox container (it holds the pod's namespaces)."""
    return any(annotations.get(key) == "sandbox" for key in SANDBOX_KEYS)


def _strings(text: str, where: str, what: str) -> dict[str, str]:
    """The JSON object of strings `text` (`what` names its values)."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise OciError(f"{where}: not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise OciError(f"{where}: expected a JSON object")
    for key, value in data.items():
        if not isinstance(value, str):
            raise OciError(f"{where}: {key}: expected {what}")
    return data


def decode_urunc_json(text: str, where: str) -> dict[str, str]:
    """urunc.json's keys and base64-decoded values."""
    decoded = {}
    for key, value in _strings(text, where, "a base64 string").items():
        try:
            decoded[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OciError(f"{where}: {key}: not base64-encoded UTF-8: {value[:40]!r}") from None
    return decoded


def decode_image_annotations(text: str, where: str) -> dict[str, str]:
    """The image's own annotations (IMAGE_FILE), checked as `choices` checks them."""
    data = _strings(text, where, "a string")
    try:
        check_image_annotations(data)
    except OciError as error:
        raise OciError(f"{where}: {error}") from None
    return data


def check_image_annotations(values: Mapping[str, str]) -> None:
    """An image may carry org.solo5.* annotations only, valid ones."""
    for key in sorted(values):
        if not key.startswith(PREFIX):
            raise OciError(f"annotation {key}: an image carries {PREFIX}* annotations only")
    choices(values)


def _device(key: str, name: str) -> str:
    if not _DEVICE_NAME.match(name):
        raise OciError(f"annotation {key}: {name!r} is not a Solo5 device name (alphanumeric)")
    return name


def _tender(key: str, value: str) -> str:
    if value not in TENDERS:
        raise OciError(
            f"annotation {key}={value}: not a Solo5 tender solo5-oci runs "
            f"(one of: {', '.join(TENDERS)})"
        )
    return value


def _path(key: str, value: str) -> str:
    if not value.startswith("/") or "\0" in value:
        raise OciError(f"annotation {key}={value!r}: expected an absolute path in the container")
    return value


def _busy_poll(key: str, value: str) -> int:
    from solo5_toolchain.abi import HVT_BUSY_POLL_US_MAX

    if not value.isascii() or not value.isdigit() or int(value) > HVT_BUSY_POLL_US_MAX:
        raise OciError(
            f"annotation {key}={value!r}: expected microseconds, 0 to {HVT_BUSY_POLL_US_MAX}"
        )
    return int(value)


def _hugepages(key: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise OciError(f"annotation {key}={value!r}: expected true or false")
    return value == "true"


def _urunc(values: Mapping[str, str]) -> Choices:
    """The Choices urunc's keys make."""
    net: dict[str, str] = {}
    block: dict[str, str] = {}
    if values.get(URUNC_NET_DEVICE):
        net[_device(URUNC_NET_DEVICE, values[URUNC_NET_DEVICE])] = "eth0"
    if values.get(URUNC_BLOCK):
        if not values.get(URUNC_BLOCK_DEVICE):
            raise OciError(f"annotation {URUNC_BLOCK} needs {URUNC_BLOCK_DEVICE} (the device name)")
        device = _device(URUNC_BLOCK_DEVICE, values[URUNC_BLOCK_DEVICE])
        block[device] = _path(URUNC_BLOCK, values[URUNC_BLOCK])
    hypervisor = values.get(URUNC_HYPERVISOR) or None
    binary = values.get(URUNC_BINARY) or None
    return Choices(
        tender=_tender(URUNC_HYPERVISOR, hypervisor) if hypervisor else None,
        tender_key=URUNC_HYPERVISOR if hypervisor else TENDER,
        binary=_path(URUNC_BINARY, binary) if binary else None,
        cmdline=values.get(URUNC_CMDLINE) or None,
        net=net,
        block=block,
    )


def has_urunc(values: Mapping[str, str]) -> bool:
    """Whether `values` carry urunc's keys naming a unikernel (urunc's own test)."""
    return bool(values.get(URUNC_BINARY) and values.get(URUNC_HYPERVISOR))


def choices(
    annotations: Mapping[str, str],
    urunc_json: Mapping[str, str] | None = None,
    image: Mapping[str, str] | None = None,
) -> Choices:
    """Read every annotation solo5-oci knows (the container's, then the
    image's own, then urunc's); unknown org.solo5.* keys are an error (a typo
    must not be silently ignored)."""
    if is_sandbox(annotations):
        return Choices(sandbox=True)
    source = annotations if has_urunc(annotations) or urunc_json is None else urunc_json
    base = _urunc({k: v for k, v in source.items() if k.startswith(URUNC)})
    tender, tender_key = base.tender, base.tender_key
    net, block = dict(base.net), dict(base.block)
    net_args, busy_poll, hugepages = None, None, False
    for key, value in sorted({**(image or {}), **annotations}.items()):
        if not key.startswith(PREFIX):
            continue
        if key == TENDER:
            tender, tender_key = _tender(key, value), key
        elif key.startswith(NET):
            if not _IFACE_NAME.match(value):
                raise OciError(f"annotation {key}={value!r}: not a network interface name")
            net[_device(key, key[len(NET) :])] = value
        elif key.startswith(BLOCK):
            block[_device(key, key[len(BLOCK) :])] = _path(key, value)
        elif key == NET_ARGS:
            net_args = value
        elif key == BUSY_POLL:
            busy_poll = _busy_poll(key, value)
        elif key == HUGEPAGES:
            hugepages = _hugepages(key, value)
        else:
            raise OciError(
                f"annotation {key}: unknown (solo5-oci knows {TENDER}, {NET}DEVICE, "
                f"{BLOCK}DEVICE, {NET_ARGS}, {BUSY_POLL}, {HUGEPAGES})"
            )
    return Choices(
        tender=tender,
        tender_key=tender_key,
        binary=base.binary,
        cmdline=base.cmdline,
        net=net,
        block=block,
        net_args=net_args,
        busy_poll=busy_poll,
        hugepages=hugepages,
    )
