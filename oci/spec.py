"""config.json (the OCI runtime bundle's configuration) -> a typed `Spec`.

Only what solo5-oci uses is read, and every value it reads is checked: a
wrong type or value is an OciError naming the file and the JSON path
(`config.json: process.args[0]: expected a string`).  What a unikernel has no
use for (environment, working directory, most mounts, capabilities, the
engine's seccomp profile) is not read at all: docs/containers.md says why.
"""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple

from solo5_oci.errors import OciError

CONFIG_NAME = "config.json"

PODMAN_INIT = "io.podman.annotations.init"

# linux.namespaces[].type -> what solo5-oci does with it (namespaces.py).
NAMESPACE_TYPES = ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")


class User(NamedTuple):
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()


class Rlimit(NamedTuple):
    type: str  # RLIMIT_NOFILE, ...
    soft: int
    hard: int


class Process(NamedTuple):
    args: tuple[str, ...]
    terminal: bool = False
    console_size: tuple[int, int] | None = None  # (height, width)
    user: User = User()
    rlimits: tuple[Rlimit, ...] = ()
    oom_score_adj: int | None = None


class Mount(NamedTuple):
    destination: str
    source: str
    type: str
    options: tuple[str, ...] = ()

    @property
    def is_bind(self) -> bool:
        return self.type == "bind" or "bind" in self.options or "rbind" in self.options

    @property
    def readonly(self) -> bool:
        return "ro" in self.options


class Namespace(NamedTuple):
    type: str
    path: str | None = None


class Resources(NamedTuple):
    memory_limit: int | None = None  # bytes
    pids_limit: int | None = None
    cpu_shares: int | None = None
    cpu_quota: int | None = None
    cpu_period: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None


class Spec(NamedTuple):
    bundle: str  # absolute
    process: Process
    root: str  # absolute path of the rootfs
    annotations: dict[str, str]
    root_readonly: bool = False
    hostname: str | None = None
    mounts: tuple[Mount, ...] = ()
    namespaces: tuple[Namespace, ...] = ()
    cgroups_path: str | None = None
    resources: Resources = Resources()
    has_user_mappings: bool = False
    hooks: tuple[str, ...] = ()  # the kinds of hooks present (prestart, ...)

    @property
    def command(self) -> tuple[str, ...]:
        """process.args, less the init `podman run --init` puts before them
        (/run/podman-init -- ARGS): solo5-oci's own init does that job."""
        args = self.process.args
        if self.annotations.get(PODMAN_INIT) == "TRUE" and "--" in args[1:2]:
            return args[2:] or args
        return args

    def namespace(self, ns_type: str) -> Namespace | None:
        for ns in self.namespaces:
            if ns.type == ns_type:
                return ns
        return None


class _Node:
    """One JSON value with its path, for typed reads with exact messages."""

    def __init__(self, where: str, path: str, value: Any) -> None:
        self.where = where
        self.path = path
        self.value = value

    def error(self, message: str) -> OciError:
        return OciError(f"{self.where}: {self.path or '(top level)'}: {message}")

    def child(self, key: str | int) -> _Node:
        if isinstance(key, int):
            return _Node(self.where, f"{self.path}[{key}]", self.value[key])
        path = f"{self.path}.{key}" if self.path else key
        return _Node(self.where, path, self.value.get(key))

    def get(self, key: str) -> _Node | None:
        """The member `key` of this object, None when absent or null."""
        obj = self.object()
        return self.child(key) if obj.get(key) is not None else None

    def object(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.error("expected an object")
        return self.value

    def items(self) -> list[_Node]:
        if not isinstance(self.value, list):
            raise self.error("expected a list")
        return [self.child(i) for i in range(len(self.value))]

    def string(self) -> str:
        if not isinstance(self.value, str):
            raise self.error("expected a string")
        if "\0" in self.value:
            raise self.error("contains a NUL character")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error("expected true or false")
        return self.value

    def integer(self, low: int | None = None, high: int | None = None) -> int:
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise self.error("expected an integer")
        if (low is not None and self.value < low) or (high is not None and self.value > high):
            raise self.error(f"{self.value} is out of range")
        return self.value


def _opt_str(node: _Node, key: str) -> str | None:
    child = node.get(key)
    return child.string() if child else None


def _opt_int(node: _Node, key: str, low: int | None = None, high: int | None = None) -> int | None:
    child = node.get(key)
    return child.integer(low, high) if child else None


def _opt_bool(node: _Node, key: str) -> bool:
    child = node.get(key)
    return child.boolean() if child else False


_U32 = 2**32 - 1
_U64 = 2**64 - 1


def _user(node: _Node | None) -> User:
    if node is None:
        return User()
    uid = _opt_int(node, "uid", 0, _U32) or 0
    gid = _opt_int(node, "gid", 0, _U32) or 0
    gids = node.get("additionalGids")
    extra = tuple(g.integer(0, _U32) for g in gids.items()) if gids else ()
    return User(uid, gid, extra)


def _rlimits(node: _Node | None) -> tuple[Rlimit, ...]:
    if node is None:
        return ()
    limits = []
    for item in node.items():
        item.object()
        kind = item.child("type").string()
        soft = item.child("soft").integer(0, _U64)
        hard = item.child("hard").integer(0, _U64)
        if soft > hard:
            raise item.error(f"{kind}: soft limit {soft} is above the hard limit {hard}")
        limits.append(Rlimit(kind, soft, hard))
    return tuple(limits)


def _process(top: _Node) -> Process:
    node = top.get("process")
    if node is None:
        raise top.child("process").error("missing (it names the unikernel to run)")
    node.object()
    args_node = node.get("args")
    if args_node is None:
        raise node.error("args: missing (args[0] is the unikernel to run)")
    args = tuple(a.string() for a in args_node.items())
    if not args or not args[0]:
        raise args_node.error("empty: args[0] must name the unikernel to run")
    size = node.get("consoleSize")
    console = (
        (size.child("height").integer(0, 65535), size.child("width").integer(0, 65535))
        if size
        else None
    )
    return Process(
        args=args,
        terminal=_opt_bool(node, "terminal"),
        console_size=console,
        user=_user(node.get("user")),
        rlimits=_rlimits(node.get("rlimits")),
        oom_score_adj=_opt_int(node, "oomScoreAdj", -1000, 1000),
    )


def _mounts(node: _Node | None) -> tuple[Mount, ...]:
    if node is None:
        return ()
    mounts = []
    for item in node.items():
        item.object()
        options = item.get("options")
        mounts.append(
            Mount(
                destination=item.child("destination").string(),
                source=_opt_str(item, "source") or "",
                type=_opt_str(item, "type") or "",
                options=tuple(o.string() for o in options.items()) if options else (),
            )
        )
    return tuple(mounts)


def _namespaces(node: _Node | None) -> tuple[Namespace, ...]:
    if node is None:
        return ()
    found: dict[str, Namespace] = {}
    for item in node.items():
        item.object()
        kind = item.child("type").string()
        if kind not in NAMESPACE_TYPES:
            raise item.error(f"unknown namespace type {kind!r}")
        if kind in found:
            raise item.error(f"namespace {kind!r} listed twice")
        found[kind] = Namespace(kind, _opt_str(item, "path"))
    return tuple(found.values())


def _resources(node: _Node | None) -> Resources:
    if node is None:
        return Resources()
    node.object()
    memory, cpu, pids = node.get("memory"), node.get("cpu"), node.get("pids")
    limit = _opt_int(memory, "limit") if memory else None
    return Resources(
        # -1 (and 0 from some engines) means "no limit".
        memory_limit=limit if limit is not None and limit > 0 else None,
        pids_limit=_opt_int(pids, "limit") if pids else None,
        cpu_shares=_opt_int(cpu, "shares", 0, _U64) if cpu else None,
        cpu_quota=_opt_int(cpu, "quota") if cpu else None,
        cpu_period=_opt_int(cpu, "period", 0, _U64) if cpu else None,
        cpuset_cpus=_opt_str(cpu, "cpus") if cpu else None,
        cpuset_mems=_opt_str(cpu, "mems") if cpu else None,
    )


def _annotations(node: _Node | None) -> dict[str, str]:
    if node is None:
        return {}
    return {key: node.child(key).string() for key in node.object()}


def parse(bundle: str, text: str) -> Spec:
    """The Spec of `bundle` from the text of its config.json."""
    where = os.path.join(bundle, CONFIG_NAME)
    try:
        data = json.loads(text)
    except ValueError as error:
        raise OciError(f"{where}: not valid JSON: {error}") from None
    top = _Node(where, "", data)
    top.object()
    root = top.get("root")
    if root is None:
        raise OciError(f"{where}: root: missing (the path of the rootfs)")
    root_path = root.child("path").string()
    linux = top.get("linux")
    hooks = top.get("hooks")
    return Spec(
        bundle=bundle,
        process=_process(top),
        root=os.path.normpath(os.path.join(bundle, root_path)),
        root_readonly=_opt_bool(root, "readonly"),
        hostname=_opt_str(top, "hostname"),
        mounts=_mounts(top.get("mounts")),
        annotations=_annotations(top.get("annotations")),
        namespaces=_namespaces(linux.get("namespaces")) if linux else (),
        cgroups_path=_opt_str(linux, "cgroupsPath") if linux else None,
        resources=_resources(linux.get("resources")) if linux else Resources(),
        has_user_mappings=bool(linux and (linux.get("uidMappings") or linux.get("gidMappings"))),
        hooks=tuple(k for k, v in hooks.object().items() if v) if hooks else (),
    )


def load(bundle: str) -> Spec:
    """Read and parse `bundle`/config.json; `bundle` is made absolute."""
    bundle = os.path.abspath(bundle)
    where = os.path.join(bundle, CONFIG_NAME)
    try:
        with open(where, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError:
        raise OciError(f"{where}: no such file (is {bundle} an OCI bundle?)") from None
    except (OSError, UnicodeDecodeError) as error:
        detail = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise OciError(f"{where}: cannot read: {detail or error}") from None
    return parse(bundle, text)
