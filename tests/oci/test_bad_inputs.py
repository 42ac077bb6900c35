"""Every bad input: one line from solo5-oci naming what is at fault, status 1,
and nothing left behind (no state directory, no cgroup, no process)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from .helpers import (
    RUNTIME,
    Runtime,
    assert_nothing_left,
    base_config,
    created,
    guest,
    make_bundle,
    one_error_line,
)


def create_fails(runtime: Runtime, bundle: Path, message: str) -> None:
    """`create` of `bundle` fails with exactly `message`, leaving nothing."""
    with created(runtime, bundle) as container:
        assert container.created_status() == 1, container.stdout + container.stderr
        assert container.stderr == f"solo5-oci: {message}\n"
        assert container.stdout == ""
        assert_nothing_left(runtime, container.id)
        assert not list(runtime.root.iterdir()), list(runtime.root.iterdir())


def bundle(
    tmp_path: Path, files: dict[str, Path | bytes], args: list[str], **changes: object
) -> Path:
    return make_bundle(tmp_path / "bundle", files, base_config(args, **changes))


def test_no_config(runtime: Runtime, tmp_path: Path) -> None:
    empty = tmp_path / "bundle"
    empty.mkdir()
    (empty / "config.json").write_text("{}")  # created() needs one to name the cgroup
    os.unlink(empty / "config.json")
    result = runtime.run("create", "--bundle", str(empty), "c1")
    one_error_line(result, f"{empty}/config.json: no such file (is {empty} an OCI bundle?)")
    assert not list(runtime.root.iterdir())


def test_args0_missing(runtime: Runtime, tmp_path: Path) -> None:
    create_fails(
        runtime, bundle(tmp_path, {}, ["/hello.hvt"]), "/hello.hvt: no such file in the rootfs"
    )


def test_args0_not_a_unikernel(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {
        "/true": Path(shutil.which("true") or "/bin/true"),
        "/text": b"hello\n",
    }
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/text"]),
        "/text: not an ELF file (not a Solo5 unikernel)",
    )
    create_fails(
        runtime,
        bundle(tmp_path / "2", files, ["/true"]),
        "/true: invalid executable: not an executable (ET_DYN) (not a Solo5 unikernel)",
    )


def test_args0_a_directory(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"/dir/x": b"x"}
    create_fails(
        runtime, bundle(tmp_path, files, ["/dir"]), "/dir: not a regular file (in the rootfs)"
    )


def test_args0_escaping_symlink(runtime: Runtime, tmp_path: Path) -> None:
    """A link to a host file is followed inside the rootfs only."""
    path = bundle(tmp_path, {}, ["/link"])
    os.symlink(str(guest("hello", "spt")), path / "rootfs" / "link")
    create_fails(runtime, path, "/link: no such file in the rootfs")


def test_target_not_runnable(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"/hello.virtio": guest("hello", "virtio")}
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/hello.virtio"]),
        "/hello.virtio: a virtio unikernel: solo5-oci runs hvt and spt unikernels "
        "(link with -z solo5-abi=hvt or -z solo5-abi=spt)",
    )


def test_tender_annotation_without_that_build(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"/hello.hvt": guest("hello", "hvt")}
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/hello.hvt"], annotations={"org.solo5.tender": "spt"}),
        "annotation org.solo5.tender=spt: /hello.hvt is an hvt unikernel and its spt "
        "build /hello.spt cannot be used: /hello.spt: no such file in the rootfs",
    )


def test_net_device_without_interface(runtime: Runtime, tmp_path: Path) -> None:
    """A new network namespace has no eth0 for the NET_BASIC device."""
    files: dict[str, Path | bytes] = {"/net.spt": guest("net", "spt")}
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/net.spt"]),
        "NET_BASIC device 'service0': no interface eth0 in the container's network "
        "namespace (it has: lo)",
    )


def test_net_annotation_for_an_undeclared_device(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"/net.spt": guest("net", "spt")}
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/net.spt"], annotations={"org.solo5.net.service9": "eth0"}),
        "annotation org.solo5.net.service9: the unikernel declares no NET_BASIC device "
        "'service9' (its NET_BASIC devices: service0)",
    )


def test_block_device_without_file(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"/blk.spt": guest("blk", "spt")}
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/blk.spt"]),
        "BLOCK_BASIC device 'storage': no file /solo5/block/storage in the rootfs "
        "(add one, e.g. podman run -v disk.img:/solo5/block/storage, or name it: "
        "annotation org.solo5.block.storage=PATH)",
    )


@pytest.mark.parametrize(("size", "problem"), [(0, "0 bytes"), (1000, "1000 bytes")])
def test_block_device_bad_size(size: int, problem: str, runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {
        "/blk.spt": guest("blk", "spt"),
        "/solo5/block/storage": bytes(size),
    }
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/blk.spt"]),
        f"BLOCK_BASIC device 'storage': /solo5/block/storage is {problem}, not a whole "
        "number of 512-byte blocks",
    )


def test_block_device_read_only(runtime: Runtime, tmp_path: Path) -> None:
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(4096))
    files: dict[str, Path | bytes] = {"/blk.spt": guest("blk", "spt")}
    mounts = [
        {
            "destination": "/solo5/block/storage",
            "type": "bind",
            "source": str(disk),
            "options": ["rbind", "ro"],
        }
    ]
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/blk.spt"], mounts=mounts),
        "BLOCK_BASIC device 'storage': /solo5/block/storage is on a read-only mount at "
        "/solo5/block/storage",
    )


def test_memory_limit_too_small(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"/hello.spt": guest("hello", "spt")}
    create_fails(
        runtime,
        bundle(tmp_path, files, ["/hello.spt"], resources={"memory": {"limit": 4 << 20}}),
        "memory limit 4194304 bytes: a unikernel needs 2 MiB plus 8 MiB for its tender "
        "(at least 10 MiB)",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"namespaces": [{"type": "user"}]},
            "linux.namespaces: user namespaces are not supported for unikernels",
        ),
        (
            {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
            "linux.uidMappings: user namespaces are not supported for unikernels",
        ),
        (
            {"hooks": {"prestart": [{"path": "/bin/true"}]}},
            "hooks (prestart): not supported for unikernels",
        ),
        (
            {"annotations": {"org.solo5.tender": "qemu"}},
            "annotation org.solo5.tender=qemu: not a Solo5 tender solo5-oci runs "
            "(one of: hvt, spt)",
        ),
    ],
)
def test_unsupported_config(
    changes: dict[str, object], message: str, runtime: Runtime, tmp_path: Path
) -> None:
    files: dict[str, Path | bytes] = {"/hello.spt": guest("hello", "spt")}
    create_fails(runtime, bundle(tmp_path, files, ["/hello.spt"], **changes), message)


def test_bad_json(runtime: Runtime, tmp_path: Path) -> None:
    path = bundle(tmp_path, {}, ["/x"])
    (path / "config.json").write_text('{"root": {"path": "rootfs"}, "process": {"args": "/x"}}')
    result = runtime.run("create", "--bundle", str(path), "c1")
    one_error_line(result, f"{path}/config.json: process.args: expected a list")


def test_duplicate_id(runtime: Runtime, tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"/spin.spt": guest("spin", "spt")}
    path = bundle(tmp_path, files, ["/spin.spt", "yield"])
    with created(runtime, path) as container:
        assert container.created_status() == 0, container.stderr
        result = runtime.run("create", "--bundle", str(path), container.id)
        one_error_line(result, f"container '{container.id}' already exists")
        assert runtime.state(container.id)["status"] == "created"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["frobnicate"], "unknown command 'frobnicate' (solo5-oci --help lists the commands)"),
        (
            ["exec", "c1", "sh"],
            "exec: not supported for unikernels (a unikernel is one program: there is nothing "
            "else to run in it)",
        ),
        (["update", "c1"], "update: not supported for unikernels"),
        (["checkpoint", "c1"], "checkpoint: not supported for unikernels"),
        ([], "no command given"),
        (["--bogus", "state", "c1"], "unknown global option --bogus"),
        (["state"], "state: expected a container ID (usage: solo5-oci state ID)"),
        (["kill", "--bogus", "c1"], "kill: unknown option --bogus"),
        (["create", "--bundle"], "create: option --bundle needs a value"),
        (["state", "../x"], "container ID '../x': use letters, digits and _.+-"),
        (["state", "nosuch"], "container 'nosuch' does not exist"),
        (["start", "nosuch"], "container 'nosuch' does not exist"),
        (["kill", "nosuch", "9"], "container 'nosuch' does not exist"),
        (["delete", "nosuch"], "container 'nosuch' does not exist"),
        (["kill", "c1", "SIGBOGUS"], "unknown signal 'SIGBOGUS'"),
        (["--log-format", "xml", "state", "c1"], "--log-format xml: expected text or json"),
        (["ps", "--format", "yaml", "c1"], "--format yaml: expected table or json"),
        (["create", "--preserve-fds", "2", "c1"], "--preserve-fds 2: not supported"),
    ],
)
def test_bad_command_lines(argv: list[str], message: str, runtime: Runtime) -> None:
    runtime.root.mkdir()
    one_error_line(runtime.run(*argv), message)
    assert not list(runtime.root.iterdir())


def test_delete_force_of_nothing(runtime: Runtime) -> None:
    """As runc: engines delete --force after a failed create."""
    result = runtime.run("delete", "--force", "nosuch")
    assert (result.status, result.stdout, result.stderr) == (0, "", "")


def test_help_and_version(runtime: Runtime) -> None:
    top = runtime.run("--help")
    assert top.status == 0 and top.stdout.startswith("usage: solo5-oci [GLOBAL OPTIONS]")
    commands = [
        line.split()[0]
        for line in top.stdout.split("Commands:\n")[1].splitlines()
        if line.startswith("    ")
    ]
    assert commands == [
        "create",
        "start",
        "state",
        "kill",
        "delete",
        "ps",
        "pause",
        "resume",
        "list",
        "features",
        "build-image",
    ]
    for command in commands:
        result = runtime.run(command, "--help")
        assert result.status == 0 and result.stdout.startswith(
            f"usage: solo5-oci [GLOBAL OPTIONS] {command}"
        ), result.describe()
    version = runtime.run("--version")
    assert version.status == 0 and re.fullmatch(
        r"solo5-oci version \S+\nspec: 1\.0\.2\n", version.stdout
    )


def test_features(runtime: Runtime) -> None:
    result = runtime.run("features")
    features = json.loads(result.stdout)
    assert features["linux"]["namespaces"] == ["cgroup", "ipc", "network", "pid", "uts"]
    assert features["linux"]["capabilities"] == [] and features["hooks"] == []


def test_installed_launcher_needs_nothing_else() -> None:
    """bin/solo5-oci runs from the prefix alone (no PYTHONPATH, no venv)."""
    import subprocess

    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(RUNTIME), "--version"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
