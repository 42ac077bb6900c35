"""State files: IDs, save/load, observed status, the OCI state JSON."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from solo5_oci import state
from solo5_oci.errors import NotFound, OciError


@pytest.mark.parametrize("good", ["a", "abc-1.2_3+x", "0" * 64])
def test_good_ids(good: str) -> None:
    assert state.check_id(good) == good


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "-a", "a b", "a\n"])
def test_bad_ids(bad: str) -> None:
    with pytest.raises(OciError, match="container ID"):
        state.check_id(bad)


def make(root: Path, pid: int, start_time: int | None) -> state.State:
    (root / "c1").mkdir(parents=True, exist_ok=True)
    found = state.State(
        id="c1",
        bundle="/b",
        rootfs="/b/rootfs",
        pid=pid,
        start_time=start_time or 0,
        created="2026-01-01T00:00:00Z",
        annotations={"a": "b"},
    )
    state.save(str(root), found)
    return found


def test_round_trip(tmp_path: Path) -> None:
    saved = make(tmp_path, os.getpid(), state.start_time(os.getpid()))
    assert state.load(str(tmp_path), "c1") == saved
    assert [p.name for p in (tmp_path / "c1").iterdir()] == ["state.json"]


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as error:
        state.load(str(tmp_path), "c9")
    assert str(error.value) == "container 'c9' does not exist"


def test_status(tmp_path: Path) -> None:
    alive = make(tmp_path, os.getpid(), state.start_time(os.getpid()))
    assert state.status(str(tmp_path), alive) == "running"
    (tmp_path / "c1" / state.EXEC_FIFO).touch()
    assert state.status(str(tmp_path), alive) == "created"
    shown = state.oci_state(str(tmp_path), alive)
    assert shown == {
        "ociVersion": "1.0.2",
        "id": "c1",
        "pid": os.getpid(),
        "status": "created",
        "bundle": "/b",
        "rootfs": "/b/rootfs",
        "created": "2026-01-01T00:00:00Z",
        "owner": "",
        "annotations": {"a": "b"},
    }
    json.dumps(shown)


def test_stopped_and_reused_pids(tmp_path: Path) -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    gone = make(tmp_path, proc.pid, 1)
    assert state.status(str(tmp_path), gone) == "stopped"
    assert state.oci_state(str(tmp_path), gone)["pid"] == 0
    # Our own pid with another start time: a different process, so stopped.
    other = make(tmp_path, os.getpid(), (state.start_time(os.getpid()) or 0) + 1)
    assert state.status(str(tmp_path), other) == "stopped"


def test_zombie_is_stopped() -> None:
    proc = subprocess.Popen(["true"])
    for _ in range(1000):
        with open(f"/proc/{proc.pid}/stat") as f:
            if f.read().split(") ")[1].startswith("Z"):
                break
    assert state.start_time(proc.pid) is None
    proc.wait()
