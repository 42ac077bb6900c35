"""Which unikernel a container runs, and on which tender.

process.args[0] (or urunc's binary annotation) names the unikernel in the
container; its ABI note picks solo5-hvt or solo5-spt, and its manifest lists
the devices to attach.  Both notes are read with the toolchain's own reader
(what `solo5-elftool query-abi` and `query-manifest` print).  An annotation
may ask for the other tender: the image then holds a build for it next to
the first, same name with the tender's suffix (`/hello.hvt`, `/hello.spt`).
"""

from __future__ import annotations

import os
import posixpath
from typing import NamedTuple

from solo5_oci.annotations import TENDERS, Choices
from solo5_oci.errors import OciError
from solo5_oci.rootfs import locate, open_regular
from solo5_oci.spec import Spec


class Device(NamedTuple):
    name: str
    type: str  # NET_BASIC, BLOCK_BASIC


class Unikernel(NamedTuple):
    path: str  # in the container
    fd: int  # open read-only; the tender reads it as /proc/self/fd/<fd>
    target: str  # hvt, spt, or another Solo5 target
    abi_version: int
    devices: tuple[Device, ...]


class Host(NamedTuple):
    """What this host offers: the prefix's tenders and the KVM device."""

    bin_dir: str
    kvm: str = "/dev/kvm"

    def tender(self, target: str) -> str:
        return os.path.join(self.bin_dir, f"solo5-{target}")


def article(target: str) -> str:
    """'an hvt unikernel', 'a virtio unikernel'."""
    return "an" if target in ("hvt", "spt") or target[:1] in "aeiou" else "a"


def read(spec: Spec, path: str) -> Unikernel:
    """Open the unikernel at the container's `path` and read its notes."""
    from solo5_toolchain import elf

    host = locate(spec.root, spec.root_readonly, spec.mounts, path)
    fd = open_regular(host, path, os.O_RDONLY)
    try:
        image = elf.load_fd(path, fd)
        abi = elf.read_abi(image)
        entries = elf.read_manifest(image)
    except elf.ElfFileError as error:
        os.close(fd)
        raise OciError(f"{error} (not a Solo5 unikernel)") from None
    except BaseException:
        os.close(fd)
        raise
    devices = tuple(Device(e.name, e.type_name) for e in entries[1:])
    return Unikernel(path, fd, abi.target_name, abi.version, devices)


def sibling(path: str, target: str) -> str:
    """The path of the same unikernel built for `target`: /a/hello.hvt -> /a/hello.spt."""
    stem, _suffix = posixpath.splitext(path)
    return f"{stem}.{target}"


def choose(spec: Spec, choices: Choices, host: Host) -> Unikernel:
    """The unikernel to run and its tender, checked for this host."""
    path = choices.binary or spec.command[0]
    unikernel = read(spec, path)
    wanted = choices.tender
    if wanted is not None and unikernel.target != wanted:
        other = sibling(path, wanted)
        os.close(unikernel.fd)
        try:
            unikernel = read(spec, other)
        except OciError as error:
            raise OciError(
                f"annotation {choices.tender_key}={wanted}: {path} is "
                f"{article(unikernel.target)} {unikernel.target} "
                f"unikernel and its {wanted} build {other} cannot be used: {error}"
            ) from None
        if unikernel.target != wanted:
            os.close(unikernel.fd)
            raise OciError(
                f"annotation {choices.tender_key}={wanted}: {other} is "
                f"{article(unikernel.target)} {unikernel.target} unikernel, not {wanted}"
            )
    try:
        check_runnable(unikernel, host)
    except OciError:
        os.close(unikernel.fd)
        raise
    return unikernel


def check_target(path: str, target: str) -> None:
    """Refuse the targets solo5-oci has no tender for."""
    if target not in TENDERS:
        raise OciError(
            f"{path}: {article(target)} {target} unikernel: solo5-oci runs hvt and spt unikernels "
            "(link with -z solo5-abi=hvt or -z solo5-abi=spt)"
        )


def check_runnable(unikernel: Unikernel, host: Host) -> None:
    """Refuse what this host cannot run, saying what would run."""
    from solo5_toolchain.targets import TARGETS

    target, path = unikernel.target, unikernel.path
    check_target(path, target)
    expected = TARGETS[target].abi_version
    if unikernel.abi_version != expected:
        raise OciError(
            f"{path}: {target} ABI version {unikernel.abi_version}, this solo5-{target} "
            f"runs version {expected} (rebuild it with this Solo5)"
        )
    tender = host.tender(target)
    if not os.access(tender, os.X_OK):
        raise OciError(
            f"{path}: {article(target)} {target} unikernel, but {tender} is not installed"
        )
    if target == "hvt" and not os.access(host.kvm, os.R_OK | os.W_OK):
        why = "does not exist" if not os.path.exists(host.kvm) else "is not accessible"
        raise OciError(
            f"{path}: an hvt unikernel needs KVM and {host.kvm} {why} (an spt build "
            f"runs without: annotation org.solo5.tender=spt)"
        )
