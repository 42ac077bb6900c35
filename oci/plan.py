"""config.json -> what the container runs: the unikernel, its tender, its
devices and its memory, all checked before anything is set up.

The tender's command line names no path a container could swap between
`create` and `start`: the unikernel and the block files are opened here and
handed over as /proc/self/fd/N, the taps as @N (network.py).
"""

from __future__ import annotations

import os
import stat

from solo5_oci import devices, resources
from solo5_oci.annotations import (
    BUSY_POLL,
    HUGEPAGES,
    IMAGE_FILE,
    URUNC_JSON,
    Choices,
    choices,
    decode_image_annotations,
    decode_urunc_json,
)
from solo5_oci.errors import OciError
from solo5_oci.network import Attached, expand_args
from solo5_oci.rootfs import read_small
from solo5_oci.spec import Spec
from solo5_oci.unikernel import Host, Unikernel, choose


class Plan:
    def __init__(
        self,
        spec: Spec,
        choices: Choices,
        unikernel: Unikernel | None = None,
        kvm: str = "/dev/kvm",
    ) -> None:
        self.spec = spec
        self.choices = choices
        self.unikernel = unikernel  # None: a pod's sandbox container
        self.nets: list[devices.NetDevice] = []
        self.blocks: list[devices.BlockDevice] = []
        self.mem: int | None = None  # --mem in MiB; None: the tender's default
        self.kvm = kvm

    @property
    def fds(self) -> list[int]:
        """The descriptors the tender inherits (taps apart)."""
        found = [b.fd for b in self.blocks]
        return found + ([self.unikernel.fd] if self.unikernel else [])

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)

    def device_rules(self) -> list[str]:
        """cgroup v1 device rules: /dev/kvm for hvt, and block devices given
        as device nodes."""
        rules = []
        if self.unikernel and self.unikernel.target == "hvt":
            rdev = os.stat(self.kvm).st_rdev
            rules.append(f"c {os.major(rdev)}:{os.minor(rdev)} rwm")
        for block in self.blocks:
            info = os.fstat(block.fd)
            if stat.S_ISBLK(info.st_mode):
                rules.append(f"b {os.major(info.st_rdev)}:{os.minor(info.st_rdev)} rw")
        return rules

    def hidden_devices(self) -> list[str]:
        """Device nodes the container must not reach on any cgroup version:
        /dev/kvm unless the unikernel is hvt (namespaces.enter_mount covers it)."""
        needs_kvm = self.unikernel is not None and self.unikernel.target == "hvt"
        return [] if needs_kvm or not os.path.exists(self.kvm) else [self.kvm]

    def guest_args(self, attached: list[Attached]) -> list[str]:
        args = (
            [self.choices.cmdline]
            if self.choices.cmdline is not None
            else list(self.spec.command[1:])
        )
        if self.choices.net_args:
            args += expand_args(self.choices.net_args, attached)
        return args

    def tender_argv(self, host: Host, attached: list[Attached]) -> list[str]:
        """The tender's command line, once the taps are `attached`."""
        assert self.unikernel is not None
        argv = [host.tender(self.unikernel.target)]
        if self.mem is not None:
            argv.append(f"--mem={self.mem}")
        if self.choices.busy_poll is not None:
            argv.append(f"--busy-poll={self.choices.busy_poll}")
        if self.choices.hugepages:
            argv.append("--hugepages")
        for net in attached:
            argv += [f"--net:{net.device}=@{net.fd}", f"--net-mac:{net.device}={net.iface.mac}"]
        argv += [f"--block:{b.device}=/proc/self/fd/{b.fd}" for b in self.blocks]
        argv += ["--", f"/proc/self/fd/{self.unikernel.fd}", *self.guest_args(attached)]
        return argv


MAX_ANNOTATION_FILE = 1 << 20


def _rootfs_text(spec: Spec, name: str) -> str | None:
    """The text of /`name` in the rootfs, None if the image has none."""
    data = read_small(spec.root, "/" + name, MAX_ANNOTATION_FILE)
    try:
        return None if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        raise OciError(f"/{name} in the rootfs: not UTF-8 text") from None


def _urunc_json(spec: Spec) -> dict[str, str] | None:
    """/urunc.json of the rootfs, decoded, if the image has one."""
    text = _rootfs_text(spec, URUNC_JSON)
    return None if text is None else decode_urunc_json(text, f"/{URUNC_JSON} in the rootfs")


def _image_annotations(spec: Spec) -> dict[str, str] | None:
    """The image's own annotations (/.solo5/annotations.json), if it has them."""
    text = _rootfs_text(spec, IMAGE_FILE)
    return None if text is None else decode_image_annotations(text, f"/{IMAGE_FILE} in the rootfs")


def _hvt_only(wanted: Choices, target: str) -> str | None:
    """Why annotations for solo5-hvt's own options cannot apply to `target`."""
    asked = []
    if wanted.busy_poll is not None:
        asked.append((f"{BUSY_POLL}={wanted.busy_poll}", "--busy-poll"))
    if wanted.hugepages:
        asked.append((f"{HUGEPAGES}=true", "--hugepages"))
    if target == "hvt" or not asked:
        return None
    annotation, option = asked[0]
    return f"annotation {annotation}: solo5-{target} has no {option} (a solo5-hvt option)"


def make(spec: Spec, host: Host) -> Plan:
    """Everything the container runs, checked; files opened (Plan.close())."""
    if spec.hooks:
        raise OciError(f"hooks ({', '.join(spec.hooks)}): not supported for unikernels")
    wanted = choices(spec.annotations, _urunc_json(spec), _image_annotations(spec))
    if wanted.sandbox:
        return Plan(spec, wanted)
    chosen = choose(spec, wanted, host)
    refused = _hvt_only(wanted, chosen.target)
    if refused:
        os.close(chosen.fd)
        raise OciError(refused)
    plan = Plan(spec, wanted, chosen, kvm=host.kvm)
    try:
        plan.nets = devices.net_devices(chosen.devices, wanted)
        plan.blocks = devices.block_devices(spec, chosen.devices, wanted)
        plan.mem = resources.guest_mem_mib(spec.resources.memory_limit, chosen.target)
    except BaseException:
        plan.close()
        raise
    return plan
