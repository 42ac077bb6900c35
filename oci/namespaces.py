"""Entering the container's namespaces (linux.namespaces).

A namespace with a path is joined (setns), one without is made (unshare).
`create` enters them in this order: the network namespace first (the taps
are made and joined there), then IPC and UTS, then the PID namespace just
before it forks the container's init (unshare(CLONE_NEWPID) moves only the
children); the init joins the cgroup namespace after its cgroup.

The mount namespace is a private copy of the host's, with a /proc of the
container's PID namespace (so `podman top` and `nsenter` show the container's
processes): solo5-oci does not pivot into the rootfs, as the tender is a host
program that opens only the files solo5-oci hands it, after which its seccomp
filter forbids opening any other.  The devices the container must not reach
(/dev/kvm for an spt unikernel) are covered there with /dev/null, so on every
cgroup version, not only where a v1 device cgroup denies them.
Refused: joining another mount namespace, user and time namespaces.
"""

from __future__ import annotations

import ctypes
import os

from solo5_oci.errors import OciError
from solo5_oci.spec import Spec

CLONE_FLAGS = {
    "mount": 0x00020000,
    "cgroup": 0x02000000,
    "uts": 0x04000000,
    "ipc": 0x08000000,
    "user": 0x10000000,
    "pid": 0x20000000,
    "network": 0x40000000,
    "time": 0x00000080,
}
UNSUPPORTED = ("user", "time")


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OciError(f"{what}: {os.strerror(code)}")


def _setns(fd: int, flag: int, what: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.setns(fd, flag), what)


def _unshare(flag: int, what: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.unshare(flag), what)


MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8


def check_supported(spec: Spec) -> None:
    """Refuse the namespaces solo5-oci cannot give a unikernel, early."""
    for kind in UNSUPPORTED:
        if spec.namespace(kind) is not None:
            raise OciError(f"linux.namespaces: {kind} namespaces are not supported for unikernels")
    mount = spec.namespace("mount")
    if mount is not None and mount.path is not None:
        raise OciError(
            f"linux.namespaces: joining the mount namespace {mount.path} is not supported "
            "for unikernels"
        )


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def _mount(source: str | None, target: str, fstype: str | None, flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, None)
    _check(result, f"cannot mount {fstype or 'with flags'} on {target}")


def enter_mount(spec: Spec, hidden: list[str]) -> None:
    """A private mount namespace with the PID namespace's own /proc and the
    `hidden` device nodes covered (run by the container's first process,
    inside its PID namespace)."""
    if spec.namespace("mount") is None:
        return
    _unshare(CLONE_FLAGS["mount"], "cannot make a mount namespace")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    libc = ctypes.CDLL(None, use_errno=True)
    for device in hidden:
        covered = libc.mount(b"/dev/null", device.encode(), None, MS_BIND, None)
        _check(covered, f"cannot cover {device} with /dev/null in the container")
    pid = spec.namespace("pid")
    if pid is not None and pid.path is None:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    if spec.has_user_mappings:
        raise OciError("linux.uidMappings: user namespaces are not supported for unikernels")


def enter(spec: Spec, kind: str) -> None:
    """Join or make the container's `kind` namespace, if it has one."""
    ns = spec.namespace(kind)
    if ns is None:
        return
    if ns.path is None:
        _unshare(CLONE_FLAGS[kind], f"cannot make a {kind} namespace")
    else:
        join(kind, ns.path)


def join(kind: str, path: str) -> None:
    """Join the `kind` namespace at `path` (/run/netns/..., /proc/PID/ns/...)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        raise OciError(f"linux.namespaces: {kind} {path}: {error.strerror or error}") from None
    try:
        _setns(fd, CLONE_FLAGS[kind], f"linux.namespaces: cannot join {kind} namespace {path}")
    finally:
        os.close(fd)
