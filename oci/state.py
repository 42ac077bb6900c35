"""A container's state directory: <root>/<id>/ with state.json and, until
`start`, the exec FIFO its init waits on.

The container's status is never stored, it is observed: its init process
alive (same pid and start time as recorded) with the FIFO still there is
"created", alive without it "running" (or "paused" when frozen), gone
"stopped".
"""

from __future__ import annotations

import json
import os
import re

from solo5_oci.cgroups import Cgroup, is_frozen
from solo5_oci.errors import NotFound, OciError

TYPE_CHECKING = False  # not typing's: importing typing costs each command ms
if TYPE_CHECKING:
    from typing import Any

DEFAULT_ROOT = "/run/solo5-oci"
STATE_FILE = "state.json"
EXEC_FIFO = "exec.fifo"
OCI_VERSION = "1.0.2"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}")


class State:
    """What state.json holds: the OCI state less the status, plus what
    `delete` needs to undo (cgroup, interfaces given a qdisc)."""

    FIELDS = (
        "id",
        "bundle",
        "rootfs",
        "pid",
        "start_time",
        "created",
        "annotations",
        "cgroup_leaves",
        "cgroup_created",
        "netns",
        "ingress",
        "tender",
        "unikernel",
    )
    __slots__ = FIELDS

    def __init__(
        self,
        *,
        id: str,
        bundle: str,
        rootfs: str,
        pid: int,
        start_time: int,
        created: str,
        annotations: dict[str, str] | None = None,
        cgroup_leaves: list[str] | None = None,
        cgroup_created: list[str] | None = None,
        netns: str | None = None,
        ingress: list[str] | None = None,
        tender: str = "",
        unikernel: str = "",
    ) -> None:
        self.id = id
        self.bundle = bundle
        self.rootfs = rootfs
        self.pid = pid
        self.start_time = start_time  # of the init process, /proc/<pid>/stat field 22
        self.created = created  # RFC 3339
        self.annotations = annotations or {}
        self.cgroup_leaves = cgroup_leaves or []
        self.cgroup_created = cgroup_created or []
        self.netns = netns  # a network namespace that outlives the container
        self.ingress = ingress or []  # interfaces given an ingress qdisc
        self.tender = tender
        self.unikernel = unikernel

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, State) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    @property
    def cgroup(self) -> Cgroup:
        return Cgroup(tuple(self.cgroup_leaves), tuple(self.cgroup_created))


def check_id(container_id: str) -> str:
    if not _ID.fullmatch(container_id):
        raise OciError(
            f"container ID {container_id!r}: use letters, digits and _.+- "
            "(not starting with a punctuation mark)"
        )
    return container_id


def directory(root: str, container_id: str) -> str:
    return os.path.join(root, check_id(container_id))


def save(root: str, state: State) -> None:
    """Write state.json atomically (readers never see half of it)."""
    where = directory(root, state.id)
    tmp = os.path.join(where, f".{STATE_FILE}.{os.getpid()}")
    try:
        with open(tmp, "x", encoding="utf-8") as stream:
            json.dump(state.to_dict(), stream)
        os.replace(tmp, os.path.join(where, STATE_FILE))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(root: str, container_id: str) -> State:
    path = os.path.join(directory(root, container_id), STATE_FILE)
    try:
        with open(path, encoding="utf-8") as stream:
            data: dict[str, Any] = json.load(stream)
    except FileNotFoundError:
        raise NotFound(container_id) from None
    except (OSError, ValueError) as error:
        raise OciError(f"{path}: unreadable state: {error}") from None
    try:
        return State(**data)
    except TypeError as error:  # not our fields: another version's, or damaged
        raise OciError(f"{path}: unreadable state: {error}") from None


def start_time(pid: int) -> int | None:
    """The start time of process `pid` (None if there is none), to tell it
    from a later process given the same pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stream:
            stat = stream.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] == "Z":  # a zombie has ended
        return None
    return int(fields[19])


def alive(state: State) -> bool:
    return state.pid > 0 and start_time(state.pid) == state.start_time


def status(root: str, state: State) -> str:
    if not alive(state):
        return "stopped"
    if os.path.exists(os.path.join(directory(root, state.id), EXEC_FIFO)):
        return "created"
    if is_frozen(state.cgroup):
        return "paused"
    return "running"


def oci_state(root: str, state: State) -> dict[str, Any]:
    """The state as `runc state` prints it (the OCI state plus runc's fields)."""
    now = status(root, state)
    return {
        "ociVersion": OCI_VERSION,
        "id": state.id,
        "pid": state.pid if now != "stopped" else 0,
        "status": now,
        "bundle": state.bundle,
        "rootfs": state.rootfs,
        "created": state.created,
        "owner": "",
        "annotations": state.annotations,
    }
