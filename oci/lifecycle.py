"""`start`, `state`, `kill`, `delete`, `ps`, `pause`, `resume`, `list`."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time

from solo5_oci import cgroups, state
from solo5_oci.context import Context
from solo5_oci.errors import NotFound, OciError

TYPE_CHECKING = False  # not typing's: importing typing costs each command ms
if TYPE_CHECKING:
    from typing import Any, TextIO


def _running(ctx: Context, container_id: str) -> tuple[state.State, str]:
    found = state.load(ctx.root, container_id)
    return found, state.status(ctx.root, found)


def start(ctx: Context, container_id: str) -> None:
    """Open the exec FIFO: the init, blocked writing it, runs the tender."""
    found, now = _running(ctx, container_id)
    if now != "created":
        raise OciError(f"container {container_id!r} is {now}, not created: cannot start it")
    fifo = os.path.join(state.directory(ctx.root, container_id), state.EXEC_FIFO)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        while not select.select([fd], [], [], 0.1)[0]:
            if not state.alive(found):
                raise OciError(f"container {container_id!r} ended before it started")
        if os.read(fd, 1) != b"0":
            raise OciError(f"container {container_id!r}: its init did not answer on {fifo}")
    finally:
        os.close(fd)
        os.unlink(fifo)


def print_state(ctx: Context, container_id: str, out: TextIO) -> None:
    json.dump(state.oci_state(ctx.root, state.load(ctx.root, container_id)), out, indent=2)
    out.write("\n")


def parse_signal(text: str) -> int:
    """15, TERM or SIGTERM -> 15."""
    if text.isdigit():
        number = int(text)
        if 0 < number < signal.NSIG:
            return number
    else:
        name = text.upper()
        name = name if name.startswith("SIG") else "SIG" + name
        found = getattr(signal.Signals, name, None)
        if isinstance(found, signal.Signals):
            return int(found)
    raise OciError(f"unknown signal {text!r}")


def kill(ctx: Context, container_id: str, sig: int, all_processes: bool) -> None:
    found, now = _running(ctx, container_id)
    if now == "stopped":
        raise OciError(f"container {container_id!r} is not running")
    targets = found.cgroup.procs() if all_processes else []
    for pid in targets or [found.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(found: state.State, patience: float) -> bool:
    deadline = time.monotonic() + patience
    while state.alive(found) or found.cgroup.procs():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _remove_ingress(found: state.State) -> None:
    """Take our qdisc off interfaces of a network namespace that outlives
    the container (gone with the namespace otherwise)."""
    if not found.ingress or not found.netns or not os.path.exists(found.netns):
        return
    from solo5_oci import namespaces, network

    try:
        namespaces.join("network", found.netns)
        network.remove_ingress(found.ingress)
    except (OciError, OSError):
        pass  # the namespace went away meanwhile, and the qdisc with it


def delete(ctx: Context, container_id: str, force: bool) -> None:
    """Remove the container: its processes (if --force or only created),
    its cgroup, what it left on the interfaces, its state directory."""
    import shutil

    where = state.directory(ctx.root, container_id)
    try:
        found, now = _running(ctx, container_id)
    except NotFound:
        # A create that failed or died half-way leaves nothing, or at most
        # a directory without state.  As runc: --force deletes quietly.
        shutil.rmtree(where, ignore_errors=True)
        if force:
            return
        raise
    if now in ("running", "paused") and not force:
        raise OciError(f"container {container_id!r} is {now}: stop it first, or delete --force")
    if now != "stopped" or found.cgroup.procs():
        if now == "paused":
            cgroups.freeze(found.cgroup, False)
        for pid in [found.pid, *found.cgroup.procs()]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not _wait_gone(found, 10.0):
            raise OciError(f"container {container_id!r}: processes survive SIGKILL")
    cgroups.remove(found.cgroup)
    _remove_ingress(found)
    shutil.rmtree(where, ignore_errors=True)


def pause(ctx: Context, container_id: str, frozen: bool) -> None:
    found, now = _running(ctx, container_id)
    wanted = "running" if frozen else "paused"
    if now != wanted:
        raise OciError(f"container {container_id!r} is {now}, not {wanted}")
    if not cgroups.freeze(found.cgroup, frozen):
        raise OciError(f"container {container_id!r}: no freezer cgroup to pause it with")


def ps(ctx: Context, container_id: str, json_format: bool, out: TextIO) -> None:
    found, now = _running(ctx, container_id)
    pids = found.cgroup.procs() or ([found.pid] if now != "stopped" else [])
    if json_format:
        json.dump(pids, out)
        out.write("\n")
    else:
        out.write("PID\n" + "".join(f"{pid}\n" for pid in pids))


def list_containers(ctx: Context, json_format: bool, quiet: bool, out: TextIO) -> None:
    rows: list[dict[str, Any]] = []
    names = sorted(os.listdir(ctx.root)) if os.path.isdir(ctx.root) else []
    for name in names:
        try:
            rows.append(state.oci_state(ctx.root, state.load(ctx.root, name)))
        except OciError:
            continue  # being created or deleted
    if json_format:
        json.dump(rows, out)
        out.write("\n")
    elif quiet:
        out.write("".join(f"{row['id']}\n" for row in rows))
    else:
        out.write("ID PID STATUS BUNDLE CREATED OWNER\n")
        out.writelines(
            f"{r['id']} {r['pid']} {r['status']} {r['bundle']} {r['created']} root\n" for r in rows
        )
