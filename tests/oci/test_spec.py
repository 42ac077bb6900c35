"""config.json -> Spec: what is read, and one exact message per bad value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from solo5_oci.errors import OciError
from solo5_oci.spec import load, parse

BUNDLE = "/b"


def config(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ociVersion": "1.0.2",
        "process": {"args": ["/hello.hvt", "Hello_Solo5"], "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs"},
    }
    base.update(changes)
    return base


def parsed(**changes: Any):  # type: ignore[no-untyped-def]
    return parse(BUNDLE, json.dumps(config(**changes)))


def test_minimal() -> None:
    spec = parsed()
    assert spec.process.args == ("/hello.hvt", "Hello_Solo5")
    assert spec.root == "/b/rootfs"
    assert spec.namespaces == () and spec.cgroups_path is None
    assert spec.resources.memory_limit is None


def test_podman_shape() -> None:
    """The parts of a podman 4.3 config.json that solo5-oci reads."""
    spec = parsed(
        root={"path": "/var/lib/x/rootfs", "readonly": True},
        hostname="abc",
        annotations={"org.solo5.tender": "spt"},
        mounts=[
            {
                "destination": "/solo5/block/storage",
                "type": "bind",
                "source": "/d.img",
                "options": ["rbind", "ro"],
            },
            {"destination": "/proc", "type": "proc", "source": "proc"},
        ],
        linux={
            "namespaces": [{"type": "pid"}, {"type": "network", "path": "/run/netns/x"}],
            "cgroupsPath": "/libpod_parent/libpod-1",
            "resources": {
                "memory": {"limit": 64 << 20},
                "pids": {"limit": 2048},
                "cpu": {"shares": 512, "quota": 50000, "period": 100000},
            },
        },
        process={
            "args": ["/a"],
            "terminal": True,
            "consoleSize": {"height": 24, "width": 80},
            "user": {"uid": 1, "gid": 2, "additionalGids": [3, 4]},
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096}],
            "oomScoreAdj": 100,
        },
    )
    assert spec.root == "/var/lib/x/rootfs" and spec.root_readonly
    assert spec.mounts[0].is_bind and spec.mounts[0].readonly and not spec.mounts[1].is_bind
    assert spec.namespace("network").path == "/run/netns/x"  # type: ignore[union-attr]
    assert spec.namespace("pid").path is None  # type: ignore[union-attr]
    assert spec.namespace("uts") is None
    assert spec.resources.memory_limit == 64 << 20 and spec.resources.pids_limit == 2048
    assert spec.resources.cpu_shares == 512 and spec.resources.cpu_quota == 50000
    assert spec.process.terminal and spec.process.console_size == (24, 80)
    assert spec.process.user.additional_gids == (3, 4)
    assert spec.process.rlimits[0].hard == 4096 and spec.process.oom_score_adj == 100
    assert spec.annotations == {"org.solo5.tender": "spt"}


@pytest.mark.parametrize("limit", [-1, 0])
def test_memory_without_limit(limit: int) -> None:
    spec = parsed(linux={"resources": {"memory": {"limit": limit}}})
    assert spec.resources.memory_limit is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"process": None}, "config.json: process: missing (it names the unikernel to run)"),
        ({"process": {"args": []}}, "process.args: empty: args[0] must name the unikernel"),
        ({"process": {"args": [""]}}, "process.args: empty: args[0] must name the unikernel"),
        ({"process": {"args": [1]}}, "process.args[0]: expected a string"),
        ({"process": {}}, "process: args: missing"),
        (
            {"process": {"args": ["/a"], "user": {"uid": -1}}},
            "process.user.uid: -1 is out of range",
        ),
        (
            {"process": {"args": ["/a"], "terminal": "yes"}},
            "process.terminal: expected true or false",
        ),
        (
            {
                "process": {
                    "args": ["/a"],
                    "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 9, "hard": 1}],
                }
            },
            "RLIMIT_NOFILE: soft limit 9 is above the hard limit 1",
        ),
        ({"root": None}, "root: missing (the path of the rootfs)"),
        ({"root": {"path": 3}}, "root.path: expected a string"),
        ({"linux": {"namespaces": [{"type": "bogus"}]}}, "unknown namespace type 'bogus'"),
        (
            {"linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}},
            "namespace 'pid' listed twice",
        ),
        ({"annotations": {"a": 1}}, "annotations.a: expected a string"),
        ({"mounts": [{"type": "bind"}]}, "mounts[0].destination: expected a string"),
    ],
)
def test_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(OciError) as error:
        parsed(**changes)
    assert message in str(error.value)
    assert str(error.value).startswith("/b/config.json: ")


def test_not_json() -> None:
    with pytest.raises(OciError, match=r"^/b/config.json: not valid JSON: "):
        parse(BUNDLE, "{")


def test_not_an_object() -> None:
    with pytest.raises(OciError, match=r"^/b/config.json: \(top level\): expected an object$"):
        parse(BUNDLE, "[]")


def test_load_missing(tmp_path: Path) -> None:
    with pytest.raises(OciError) as error:
        load(str(tmp_path))
    assert str(error.value) == (
        f"{tmp_path}/config.json: no such file (is {tmp_path} an OCI bundle?)"
    )


def test_load_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config()))
    monkeypatch.chdir(tmp_path)
    spec = load(".")
    assert spec.bundle == str(tmp_path) and spec.root == f"{tmp_path}/rootfs"


def test_podman_init_is_skipped() -> None:
    """podman run --init: /run/podman-init -- ARGS; solo5-oci's init does its job."""
    init = {"io.podman.annotations.init": "TRUE"}
    spec = parsed(process={"args": ["/run/podman-init", "--", "/hello.hvt", "x"]}, annotations=init)
    assert spec.command == ("/hello.hvt", "x")
    assert parsed(process={"args": ["/a", "--", "/b"]}).command == ("/a", "--", "/b")
    assert parsed(process={"args": ["/run/podman-init", "--"]}, annotations=init).command == (
        "/run/podman-init",
        "--",
    )
