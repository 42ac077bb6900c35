"""The container's cgroup: created from linux.cgroupsPath in every mounted
hierarchy (cgroup v1 controllers, v2, or both as on hybrid hosts), limits
written, removed again by `delete` with any parent directory it created.

The device controller (cgroup v1) allows the container only /dev/kvm, and
only for hvt unikernels, plus the block devices it is given; on a cgroup v2
host device access is not restricted by a cgroup; on both, /dev/kvm of a
non-hvt container is covered in its mount namespace (namespaces.py).
"""

from __future__ import annotations

import errno
import os
import time

from solo5_oci.errors import OciError

TYPE_CHECKING = False  # not typing's: importing typing costs each command ms
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from solo5_oci.spec import Resources

MOUNTINFO = "/proc/self/mountinfo"


class Hierarchy:
    __slots__ = ("controllers", "mountpoint", "version")

    def __init__(self, mountpoint: str, version: int, controllers: frozenset[str]) -> None:
        self.mountpoint = mountpoint
        self.version = version  # 1 or 2
        self.controllers = controllers  # v1: its controllers (name=systemd included)


def _unescape(field: str) -> str:
    return field.encode().decode("unicode_escape") if "\\" in field else field


def hierarchies(mountinfo: str) -> list[Hierarchy]:
    """Every cgroup hierarchy mounted, once each, from /proc/self/mountinfo."""
    found: dict[tuple[int, frozenset[str]], Hierarchy] = {}
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        version = 2 if tail[0] == "cgroup2" else 1
        controllers: frozenset[str] = frozenset()
        if version == 1:
            skip = {"rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec"}
            controllers = frozenset(o for o in tail[2].split(",") if o not in skip)
        found.setdefault(
            (version, controllers), Hierarchy(_unescape(fields[4]), version, controllers)
        )
    return list(found.values())


def settings(
    resources: Resources,
    devices: Sequence[str],
    hierarchy: Hierarchy,
    v2_controllers: frozenset[str] = frozenset(),
) -> list[tuple[str, str]]:
    """(file, value) pairs to write in the container's cgroup of `hierarchy`.
    `devices` are v1 device rules to allow ("c 10:232 rwm"); `v2_controllers`
    the controllers a v2 cgroup has."""
    r = resources
    out: list[tuple[str, str]] = []
    if hierarchy.version == 1:
        has = hierarchy.controllers
        if "memory" in has and r.memory_limit is not None:
            out.append(("memory.limit_in_bytes", str(r.memory_limit)))
        if "pids" in has and r.pids_limit is not None:
            out.append(("pids.max", str(r.pids_limit) if r.pids_limit > 0 else "max"))
        if "cpu" in has:
            out += [
                (f, str(v))
                for f, v in (
                    ("cpu.shares", r.cpu_shares),
                    ("cpu.cfs_period_us", r.cpu_period),
                    ("cpu.cfs_quota_us", r.cpu_quota),
                )
                if v
            ]
        if "cpuset" in has:
            out += [
                (f, v)
                for f, v in (("cpuset.cpus", r.cpuset_cpus), ("cpuset.mems", r.cpuset_mems))
                if v
            ]
        if "devices" in has:
            out.append(("devices.deny", "a"))
            out += [("devices.allow", rule) for rule in devices]
        return out
    has = v2_controllers
    if "memory" in has and r.memory_limit is not None:
        out.append(("memory.max", str(r.memory_limit)))
    if "pids" in has and r.pids_limit is not None:
        out.append(("pids.max", str(r.pids_limit) if r.pids_limit > 0 else "max"))
    if "cpu" in has and r.cpu_shares:
        from solo5_oci.resources import cpu_weight

        out.append(("cpu.weight", str(cpu_weight(r.cpu_shares))))
    if "cpu" in has and (r.cpu_quota or r.cpu_period):
        quota = str(r.cpu_quota) if r.cpu_quota and r.cpu_quota > 0 else "max"
        out.append(("cpu.max", f"{quota} {r.cpu_period or 100000}"))
    if "cpuset" in has:
        out += [
            (f, v) for f, v in (("cpuset.cpus", r.cpuset_cpus), ("cpuset.mems", r.cpuset_mems)) if v
        ]
    return out


def own_cgroup(proc_cgroup: str, hierarchy: Hierarchy) -> str:
    """This process's cgroup in `hierarchy`, from /proc/self/cgroup's text."""
    for line in proc_cgroup.splitlines():
        _id, names, path = line.split(":", 2)
        if hierarchy.version == 2 and _id == "0" and names == "":
            return path
        if hierarchy.version == 1 and frozenset(names.split(",")) == hierarchy.controllers:
            return path
    return "/"


def _read(path: str) -> str:
    with open(path, encoding="ascii") as stream:
        return stream.read().strip()


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


class Cgroup:
    """The container's cgroup: its directories and the ones created for it."""

    __slots__ = ("created", "leaves")

    def __init__(self, leaves: tuple[str, ...], created: tuple[str, ...]) -> None:
        self.leaves = leaves  # one per hierarchy
        self.created = created  # deepest first: what delete removes

    def procs(self) -> list[int]:
        """Processes in the container's cgroup (of the first hierarchy)."""
        for leaf in self.leaves:
            try:
                return [int(p) for p in _read(os.path.join(leaf, "cgroup.procs")).split()]
            except OSError:
                continue
        return []


def _mkdirs(base: str, rel: str, cpuset: bool, created: list[str]) -> str:
    path = base
    for part in [p for p in rel.split("/") if p]:
        if part == "..":
            raise OciError(f"linux.cgroupsPath: '..' is not allowed: {rel}")
        parent, path = path, os.path.join(path, part)
        try:
            os.mkdir(path, 0o755)
            created.append(path)
        except FileExistsError:
            pass
        if cpuset:
            _inherit_cpuset(parent, path)
    return path


def _inherit_cpuset(parent: str, path: str) -> None:
    """A new v1 cpuset cgroup starts with no CPUs nor memory nodes: give it
    its parent's.  Also when it exists but is still empty: another create
    may have made it a moment ago and not filled it yet."""
    for name in ("cpuset.cpus", "cpuset.mems"):
        if not _read(os.path.join(path, name)):
            _write(os.path.join(path, name), _read(os.path.join(parent, name)))


def _enable_v2(mountpoint: str, rel: str, wanted: Iterable[str]) -> frozenset[str]:
    """Enable `wanted` v2 controllers down to `rel`; the ones the leaf gets."""
    path, parts = mountpoint, [p for p in rel.split("/") if p]
    available = frozenset(_read(os.path.join(path, "cgroup.controllers")).split())
    enabled = frozenset(wanted) & available
    for part in parts[:-1] if parts else []:
        control = " ".join(f"+{c}" for c in sorted(enabled))
        if control:
            _write(os.path.join(path, "cgroup.subtree_control"), control)
        path = os.path.join(path, part)
    if enabled and parts:
        _write(
            os.path.join(path, "cgroup.subtree_control"), " ".join(f"+{c}" for c in sorted(enabled))
        )
    return enabled


def create(
    cgroups_path: str,
    resources: Resources,
    devices: Sequence[str],
    mountinfo: str,
    proc_cgroup: str,
) -> Cgroup:
    """Make the container's cgroup in every hierarchy and write its limits."""
    created: list[str] = []
    leaves: list[str] = []
    try:
        for hierarchy in hierarchies(mountinfo):
            rel = cgroups_path
            if not rel.startswith("/"):
                rel = os.path.join(own_cgroup(proc_cgroup, hierarchy), rel)
            v2: frozenset[str] = frozenset()
            if hierarchy.version == 2:
                v2 = _enable_v2(hierarchy.mountpoint, rel, ("memory", "pids", "cpu", "cpuset"))
            leaf = _mkdirs(hierarchy.mountpoint, rel, "cpuset" in hierarchy.controllers, created)
            leaves.append(leaf)
            for name, value in settings(resources, devices, hierarchy, v2):
                try:
                    _write(os.path.join(leaf, name), value)
                except OSError as error:
                    raise OciError(
                        f"cgroup {leaf}: cannot set {name} to {value}: {error.strerror or error}"
                    ) from None
    except OSError as error:
        remove(Cgroup(tuple(leaves), tuple(reversed(created))))
        raise OciError(
            f"linux.cgroupsPath {cgroups_path}: {error.strerror or error}: "
            f"{error.filename or ''}".rstrip(": ")
        ) from None
    except BaseException:
        remove(Cgroup(tuple(leaves), tuple(reversed(created))))
        raise
    return Cgroup(tuple(leaves), tuple(reversed(created)))


def join(cgroup: Cgroup) -> None:
    """Move the calling process into the container's cgroup."""
    for leaf in cgroup.leaves:
        _write(os.path.join(leaf, "cgroup.procs"), "0")


def remove(cgroup: Cgroup, patience: float = 2.0) -> None:
    """Remove the directories create() made, deepest first.  The container's
    own cgroup may stay busy a moment after its last process died: retry it
    until `patience`; a parent still holding other cgroups stays."""
    deadline = time.monotonic() + patience
    for path in cgroup.created:
        while True:
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError as error:
                retry = path in cgroup.leaves and error.errno == errno.EBUSY
                if not retry or time.monotonic() > deadline:
                    break
                time.sleep(0.01)


def freeze(cgroup: Cgroup, frozen: bool) -> bool:
    """Freeze or thaw through the freezer (v1) or cgroup.freeze (v2)."""
    for leaf in cgroup.leaves:
        for name, value in (
            ("freezer.state", "FROZEN" if frozen else "THAWED"),
            ("cgroup.freeze", "1" if frozen else "0"),
        ):
            path = os.path.join(leaf, name)
            if os.path.exists(path):
                _write(path, value)
                return True
    return False


def is_frozen(cgroup: Cgroup) -> bool:
    for leaf in cgroup.leaves:
        try:
            return _read(os.path.join(leaf, "freezer.state")) == "FROZEN"
        except OSError:
            pass
        try:
            return _read(os.path.join(leaf, "cgroup.freeze")) == "1"
        except OSError:
            pass
    return False
