"""Container paths -> host paths, without ever leaving the container's files.

solo5-oci does not pivot into the rootfs (the tender is a host program that
opens its few files before its seccomp filter forbids any other): it finds
the unikernel and the block devices itself, in the rootfs or in a bind
mount, following symbolic links as the container would see them (an
absolute link or `..` never climbs above the rootfs or the mount's source).
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from typing import NamedTuple

from solo5_oci.errors import OciError
from solo5_oci.spec import Mount

MAX_LINKS = 40  # as the kernel's path walk


class HostFile(NamedTuple):
    """Where a container path lives on the host."""

    path: str  # absolute host path (it may not exist)
    readonly: bool  # on a read-only rootfs or mount
    origin: str  # "the rootfs" or "the mount at DEST", for messages


def resolve_in_root(root: str, path: str) -> str:
    """The host path of `path` inside `root`, following symbolic links with
    `root` as their `/`.  Components that do not exist are kept as they are."""
    done: list[str] = []
    todo = [c for c in path.split("/") if c not in ("", ".")]
    todo.reverse()
    links = 0
    while todo:
        part = todo.pop()
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = os.path.join(root, *done, part)
        try:
            info = os.lstat(candidate)
        except OSError:
            done.append(part)
            continue
        if not stat.S_ISLNK(info.st_mode):
            done.append(part)
            continue
        links += 1
        if links > MAX_LINKS:
            raise OciError(f"{path}: too many levels of symbolic links")
        target = os.readlink(candidate)
        if target.startswith("/"):
            done = []
        todo.extend(reversed([c for c in target.split("/") if c not in ("", ".")]))
    return os.path.join(root, *done)


def _covering_mount(mounts: tuple[Mount, ...], path: str) -> Mount | None:
    """The last-listed mount whose destination holds `path` (the one on top)."""
    found = None
    for mount in mounts:
        dest = posixpath.normpath(mount.destination)
        if path == dest or path.startswith(dest.rstrip("/") + "/"):
            found = mount
    return found


def locate(root: str, root_readonly: bool, mounts: tuple[Mount, ...], path: str) -> HostFile:
    """The host file behind the container's `path` (absolute)."""
    if not path.startswith("/"):
        raise OciError(f"{path}: expected an absolute path in the container")
    clean = posixpath.normpath(path)
    mount = _covering_mount(mounts, clean)
    if mount is None:
        return HostFile(resolve_in_root(root, clean), root_readonly, "the rootfs")
    where = f"the mount at {mount.destination}"
    if not mount.is_bind:
        raise OciError(
            f"{path}: on {where} (type {mount.type or 'unknown'}), not in the rootfs or a "
            "bind mount"
        )
    rest = clean[len(posixpath.normpath(mount.destination)) :].lstrip("/")
    source = resolve_in_root(mount.source, rest) if rest else mount.source
    return HostFile(source, mount.readonly, where)


def read_small(root: str, path: str, limit: int) -> bytes | None:
    """The bytes of the rootfs file `path` (links followed inside `root`),
    None if there is none; a larger or non-regular file is an error."""
    where = f"{path} in the rootfs"
    try:
        fd = os.open(
            resolve_in_root(root, path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        )
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise OciError(f"{where}: cannot read: {error.strerror or error}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OciError(f"{where}: not a regular file")
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OciError(f"{where}: larger than {limit} bytes")
    return data


def open_regular(host: HostFile, container_path: str, flags: int) -> int:
    """An fd on the regular file `host` (O_NOFOLLOW: the path is resolved)."""
    try:
        fd = os.open(host.path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        detail = error.strerror or str(error)
        if error.errno == errno.ENOENT:
            detail = f"no such file in {host.origin}"
        raise OciError(f"{container_path}: {detail}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OciError(f"{container_path}: not a regular file (in {host.origin})")
    return fd
