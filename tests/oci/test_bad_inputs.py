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


def files_of(spec: dict[str, str]) -> dict[str, Path | bytes]:
    """Rootfs files from a short spec: "guest NAME TARGET", "host PATH", "bytes N" or text."""
    files: dict[str, Path | bytes] = {}
    for inside, what in spec.items():
        kind, _, rest = what.partition(" ")
        if kind == "guest":
            files[inside] = guest(*rest.split())
        elif kind == "host":
            files[inside] = Path(shutil.which(rest) or rest)
        elif kind == "bytes":
            files[inside] = bytes(int(rest))
        else:
            files[inside] = what.encode()
    return files


HELLO = {"/hello.spt": "guest hello spt"}
BLK = {"/blk.spt": "guest blk spt"}
NET = {"/net.spt": "guest net spt"}
RO_DISK = [
    {
        "destination": "/solo5/block/storage",
        "type": "bind",
        "source": "{tmp}/disk.img",
        "options": ["rbind", "ro"],
    }
]

# (rootfs files, args, config changes, the message)
CASES: dict[str, tuple[dict[str, str], list[str], dict[str, object], str]] = {
    "args0 missing": ({}, ["/hello.hvt"], {}, "/hello.hvt: no such file in the rootfs"),
    "args0 text": (
        {"/text": "hello"},
        ["/text"],
        {},
        "/text: not an ELF file (not a Solo5 unikernel)",
    ),
    "args0 Linux program": (
        {"/true": "host true"},
        ["/true"],
        {},
        "/true: invalid executable: not an executable (ET_DYN) (not a Solo5 unikernel)",
    ),
    "args0 directory": ({"/dir/x": "x"}, ["/dir"], {}, "/dir: not a regular file (in the rootfs)"),
    "virtio unikernel": (
        {"/hello.virtio": "guest hello virtio"},
        ["/hello.virtio"],
        {},
        "/hello.virtio: a virtio unikernel: solo5-oci runs hvt and spt "
        "unikernels (link with -z solo5-abi=hvt or -z solo5-abi=spt)",
    ),
    "tender annotation, no such build": (
        {"/hello.hvt": "guest hello hvt"},
        ["/hello.hvt"],
        {"annotations": {"org.solo5.tender": "spt"}},
        "annotation org.solo5.tender=spt: /hello.hvt is an hvt unikernel and its spt build "
        "/hello.spt cannot be used: /hello.spt: no such file in the rootfs",
    ),
    "net device without interface": (
        NET,
        ["/net.spt"],
        {},
        "NET_BASIC device 'service0': no interface eth0 in the container's network namespace "
        "(it has: lo)",
    ),
    "net annotation, undeclared device": (
        NET,
        ["/net.spt"],
        {"annotations": {"org.solo5.net.service9": "eth0"}},
        "annotation org.solo5.net.service9: the unikernel declares no NET_BASIC device "
        "'service9' (its NET_BASIC devices: service0)",
    ),
    "block device without file": (
        BLK,
        ["/blk.spt"],
        {},
        "BLOCK_BASIC device 'storage': no file /solo5/block/storage in the rootfs (add one, "
        "e.g. podman run -v disk.img:/solo5/block/storage, or name it: annotation "
        "org.solo5.block.storage=PATH)",
    ),
    "block device empty": (
        {**BLK, "/solo5/block/storage": "bytes 0"},
        ["/blk.spt"],
        {},
        "BLOCK_BASIC device 'storage': /solo5/block/storage is 0 bytes, not a whole number "
        "of 512-byte blocks",
    ),
    "block device not whole blocks": (
        {**BLK, "/solo5/block/storage": "bytes 1000"},
        ["/blk.spt"],
        {},
        "BLOCK_BASIC device 'storage': /solo5/block/storage is 1000 bytes, not a whole number "
        "of 512-byte blocks",
    ),
    "block device read-only": (
        BLK,
        ["/blk.spt"],
        {"mounts": RO_DISK},
        "BLOCK_BASIC device 'storage': /solo5/block/storage is on a read-only mount at "
        "/solo5/block/storage",
    ),
    "memory limit too small": (
        HELLO,
        ["/hello.spt"],
        {"resources": {"memory": {"limit": 4 << 20}}},
        "memory limit 4194304 bytes: a unikernel needs 2 MiB plus 16 MiB for its tender "
        "(at least 18 MiB)",
    ),
    "user namespace": (
        HELLO,
        ["/hello.spt"],
        {"namespaces": [{"type": "user"}]},
        "linux.namespaces: user namespaces are not supported for unikernels",
    ),
    "uid mappings": (
        HELLO,
        ["/hello.spt"],
        {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
        "linux.uidMappings: user namespaces are not supported for unikernels",
    ),
    "hooks": (
        HELLO,
        ["/hello.spt"],
        {"hooks": {"prestart": [{"path": "/bin/true"}]}},
        "hooks (prestart): not supported for unikernels",
    ),
    "image annotations not JSON": (
        {**HELLO, "/.solo5/annotations.json": "{org.solo5.tender: spt}"},
        ["/hello.spt"],
        {},
        "/.solo5/annotations.json in the rootfs: not valid JSON: Expecting property name "
        "enclosed in double quotes: line 1 column 2 (char 1)",
    ),
    "image annotation unknown": (
        {**HELLO, "/.solo5/annotations.json": '{"org.solo5.nett": "x"}'},
        ["/hello.spt"],
        {},
        "/.solo5/annotations.json in the rootfs: annotation org.solo5.nett: unknown (solo5-oci "
        "knows org.solo5.tender, org.solo5.net.DEVICE, org.solo5.block.DEVICE, "
        "org.solo5.net-args, org.solo5.busy-poll, org.solo5.hugepages)",
    ),
    "unknown tender": (
        HELLO,
        ["/hello.spt"],
        {"annotations": {"org.solo5.tender": "qemu"}},
        "annotation org.solo5.tender=qemu: not a Solo5 tender solo5-oci runs (one of: hvt, spt)",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_create_refuses(case: str, runtime: Runtime, tmp_path: Path) -> None:
    files, args, changes, message = CASES[case]
    (tmp_path / "disk.img").write_bytes(bytes(4096))
    changes = json.loads(json.dumps(changes).replace("{tmp}", str(tmp_path)))
    create_fails(runtime, bundle(tmp_path, files_of(files), args, **changes), message)


def test_args0_escaping_symlink(runtime: Runtime, tmp_path: Path) -> None:
    """A link to a host file is followed inside the rootfs only."""
    path = bundle(tmp_path, {}, ["/link"])
    os.symlink(str(guest("hello", "spt")), path / "rootfs" / "link")
    create_fails(runtime, path, "/link: no such file in the rootfs")


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
        if line.startswith("    ") and line[4] != " "
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
        summary = result.stdout.split("\n\n", 1)[1].splitlines()[0]
        assert f"        {summary}" in top.stdout, f"--help lacks what {command} --help says"
    version = runtime.run("--version")
    assert version.status == 0 and re.fullmatch(
        r"solo5-oci version \S+ \(Solo5 \S+ interfaces\)\nspec: 1\.0\.2\n", version.stdout
    )


def test_features(runtime: Runtime) -> None:
    result = runtime.run("features")
    features = json.loads(result.stdout)
    # mount: made (a private copy), never joined; user and time: refused.
    assert features["linux"]["namespaces"] == ["cgroup", "ipc", "mount", "network", "pid", "uts"]
    assert features["linux"]["capabilities"] == [] and features["hooks"] == []


def test_installed_launcher_needs_nothing_else() -> None:
    """bin/solo5-oci runs from the prefix alone (no PYTHONPATH, no venv)."""
    import subprocess

    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(RUNTIME), "--version"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
