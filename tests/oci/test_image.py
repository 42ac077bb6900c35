"""`solo5-oci build-image`: an OCI image of a unikernel without any engine,
byte-for-byte reproducible, that podman loads and runs."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from .engines import Podman, unique
from .helpers import RUNTIME, guest, kvm_usable

TARGET = "hvt" if kvm_usable() else "spt"


def build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUNTIME), "build-image", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def unikernel(tmp_path: Path) -> Path:
    path = tmp_path / f"hello.{TARGET}"
    path.write_bytes(guest("hello", TARGET).read_bytes())
    path.chmod(0o755)
    return path


def read_layout(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {
            m.name: tar.extractfile(m).read()
            for m in tar.getmembers()  # type: ignore[union-attr]
            if m.isfile()
        }


def test_layout(unikernel: Path, tmp_path: Path) -> None:
    out = tmp_path / "image.tar"
    result = build("-o", str(out), "--label", "a=b", str(unikernel), "Hello_Solo5")
    assert result.returncode == 0 and result.stdout == "localhost/hello:latest\n", result.stderr
    files = read_layout(out)
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(files["index.json"])
    entry = index["manifests"][0]
    assert entry["annotations"] == {"org.opencontainers.image.ref.name": "localhost/hello:latest"}
    blob = lambda digest: files["blobs/sha256/" + digest.split(":")[1]]  # noqa: E731
    for name, data in files.items():
        if name.startswith("blobs/"):
            assert hashlib.sha256(data).hexdigest() == name.split("/")[-1]
    manifest = json.loads(blob(entry["digest"]))
    config = json.loads(blob(manifest["config"]["digest"]))
    assert config["config"] == {"Cmd": [f"/hello.{TARGET}", "Hello_Solo5"], "Labels": {"a": "b"}}
    assert config["os"] == "linux" and config["architecture"] == "amd64"
    with tarfile.open(fileobj=io.BytesIO(blob(manifest["layers"][0]["digest"]))) as layer:
        members = layer.getmembers()
        assert [(m.name, m.mode, m.uid, m.mtime) for m in members] == [
            (f"hello.{TARGET}", 0o755, 0, 0)
        ]
        content = layer.extractfile(members[0]).read()  # type: ignore[union-attr]
    assert content == unikernel.read_bytes()


def test_reproducible(unikernel: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.tar", tmp_path / "b.tar"
    assert build("-o", str(a), str(unikernel)).returncode == 0
    assert build("-o", str(b), str(unikernel)).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_directory_and_extra_files(unikernel: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(4096))
    out = tmp_path / "layout"
    result = build("-o", str(out), "--file", f"{disk}:/solo5/block/storage", str(unikernel))
    assert result.returncode == 0, result.stderr
    assert (out / "oci-layout").is_file() and (out / "index.json").is_file()
    index = json.loads((out / "index.json").read_text())
    manifest = json.loads((out / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text())
    with tarfile.open(out / "blobs/sha256" / manifest["layers"][0]["digest"][7:]) as layer:
        names = [m.name for m in layer.getmembers()]
    assert names == ["solo5", "solo5/block", f"hello.{TARGET}", "solo5/block/storage"]


def test_podman_loads_and_runs_it(unikernel: Path, podman: Podman, tmp_path: Path) -> None:
    out = tmp_path / "image.tar"
    tag = f"localhost/{unique('solo5-oci-built')}:1"
    assert build("-o", str(out), "-t", tag, str(unikernel), "Hello_Solo5").returncode == 0
    loaded = podman("load", "--input", str(out))
    assert loaded.status == 0, loaded.describe()
    try:
        result = podman(*podman.run_args("--rm", "--network=none"), tag)
        assert result.status == 0 and "SUCCESS" in result.stdout, result.describe()
    finally:
        podman("rmi", "--force", tag)


MIRAGE = "--ipv4={addr}/{prefix} --ipv4-gateway={gateway}"


def test_annotations(unikernel: Path, tmp_path: Path) -> None:
    """--annotation: /.solo5/annotations.json in the rootfs, and the manifest's."""
    out = tmp_path / "image.tar"
    args = ["-o", str(out), "--annotation", f"org.solo5.net-args={MIRAGE}"]
    result = build(*args, "--annotation", "org.solo5.net.service=eth1", str(unikernel))
    assert result.returncode == 0, result.stderr
    files = read_layout(out)
    blob = lambda digest: files["blobs/sha256/" + digest.split(":")[1]]  # noqa: E731
    manifest = json.loads(blob(json.loads(files["index.json"])["manifests"][0]["digest"]))
    wanted = {"org.solo5.net-args": MIRAGE, "org.solo5.net.service": "eth1"}
    assert manifest["annotations"] == wanted
    with tarfile.open(fileobj=io.BytesIO(blob(manifest["layers"][0]["digest"]))) as layer:
        assert [(m.name, m.mode) for m in layer.getmembers()] == [
            (".solo5", 0o755),
            (".solo5/annotations.json", 0o644),
            (f"hello.{TARGET}", 0o755),
        ]
        member = layer.extractfile(".solo5/annotations.json")
        assert member is not None and json.loads(member.read()) == wanted
    again = tmp_path / "again.tar"
    assert (
        build(*args, "--annotation", "org.solo5.net.service=eth1", str(unikernel)).returncode == 0
    )
    assert (
        build(
            *args[2:],
            "-o",
            str(again),
            "--annotation",
            "org.solo5.net.service=eth1",
            str(unikernel),
        ).returncode
        == 0
    )
    assert again.read_bytes() == out.read_bytes()


def test_podman_runs_the_images_annotations(
    unikernel: Path, podman: Podman, tmp_path: Path
) -> None:
    """The guest's command line comes from the image's org.solo5.net-args
    only (podman 4.3 copies the manifest's annotations into config.json too;
    test_podman's test_annotations_file_in_a_containerfile covers the file
    alone)."""
    out = tmp_path / "image.tar"
    tag = f"localhost/{unique('solo5-oci-annotated')}:1"
    args = ["-o", str(out), "-t", tag, "--annotation", "org.solo5.net-args=Hello_Solo5"]
    assert build(*args, str(unikernel)).returncode == 0
    loaded = podman("load", "--input", str(out))
    assert loaded.status == 0, loaded.describe()
    try:
        result = podman(*podman.run_args("--rm", "--network=none"), tag)
        assert result.status == 0, result.describe()
        assert "Command line is: 'Hello_Solo5'" in result.stdout, result.describe()
    finally:
        podman("rmi", "--force", tag)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/x.tar", "{tmp}/nosuch"], "{tmp}/nosuch: No such file or directory"),
        (
            ["-o", "{tmp}/x.tar", "{tmp}/text"],
            "{tmp}/text: not an ELF file (not a Solo5 unikernel)",
        ),
        (
            ["-o", "{tmp}/x.tar", "{virtio}"],
            "{virtio}: a virtio unikernel: solo5-oci runs hvt and spt unikernels",
        ),
        (
            ["-o", "{tmp}/x.tar", "--file", "a:relative", "{hello}"],
            "--file a:relative: expected SOURCE:/ABSOLUTE/PATH in the image",
        ),
        (["{hello}"], "build-image: --output PATH is needed"),
        (
            ["-o", "{tmp}/x.tar", "--annotation", "org.solo5.tendr=spt", "{hello}"],
            "annotation org.solo5.tendr: unknown (solo5-oci knows org.solo5.tender",
        ),
        (
            ["-o", "{tmp}/x.tar", "--annotation", "org.solo5.tender=qemu", "{hello}"],
            "annotation org.solo5.tender=qemu: not a Solo5 tender solo5-oci runs",
        ),
        (
            ["-o", "{tmp}/x.tar", "--annotation", "io.example=1", "{hello}"],
            "annotation io.example: an image carries org.solo5.* annotations only",
        ),
        (
            ["-o", "{tmp}/x.tar", "--annotation", "org.solo5.tender", "{hello}"],
            "--annotation org.solo5.tender: expected KEY=VALUE",
        ),
        (
            [
                "-o",
                "{tmp}/x.tar",
                "--annotation",
                "org.solo5.tender=spt",
                "--file",
                "{tmp}/text:/.solo5/annotations.json",
                "{hello}",
            ],
            "--file {tmp}/text:/.solo5/annotations.json: --annotation writes "
            "/.solo5/annotations.json",
        ),
        (["-o", "{tmp}/nodir/x.tar", "{hello}"], "{tmp}/nodir/x.tar: No such file or directory"),
    ],
)
def test_bad_inputs(args: list[str], message: str, unikernel: Path, tmp_path: Path) -> None:
    (tmp_path / "text").write_text("hello\n")
    values = {
        "tmp": str(tmp_path),
        "hello": str(unikernel),
        "virtio": str(guest("hello", "virtio")),
    }
    result = build(*[a.format(**values) for a in args])
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("solo5-oci: ")
    assert message.format(**values) in result.stderr, result.stderr
    assert not (tmp_path / "x.tar").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
