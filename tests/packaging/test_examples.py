"""examples/hello, built out of tree against an installed prefix the three
documented ways (docs/using-the-toolchain.md), and run on spt and hvt."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from .conftest import TOP, check_hello, run, run_unikernel, user_env

HELLO = TOP / "examples" / "hello"
WAYS = ["make-wrapper", "make-pkg-config", "scons-tool"]


def scons() -> str:
    found = shutil.which("scons")
    assert found, "scons is not on PATH: source scripts/ensure-env.sh first"
    return found


def build(way: str, prefix: Path, work: Path, path_has_solo5: bool) -> None:
    """Build examples/hello in `work` the `way` a user would."""
    env = user_env(prefix) if path_has_solo5 else user_env(prefix, PATH="/usr/bin:/bin")
    if way == "make-wrapper":
        argv = ["make"] if path_has_solo5 else ["make", f"SOLO5_PREFIX={prefix}"]
    elif way == "make-pkg-config":
        argv = ["make", "-f", "pkg-config.mk", f"PKG_CONFIG_PATH={prefix}/lib/pkgconfig"]
    else:
        argv = [scons(), "-Q"] + ([] if path_has_solo5 else [f"SOLO5_PREFIX={prefix}"])
    run(argv, work, env)


@pytest.mark.parametrize("target", ["spt", "hvt"])
@pytest.mark.parametrize("way", WAYS)
def test_hello_builds_and_runs(installed: Path, tmp_path: Path, way: str, target: str) -> None:
    work = tmp_path / "hello"
    shutil.copytree(HELLO, work)
    build(way, installed, work, path_has_solo5=False)
    for t in ("spt", "hvt"):
        assert (work / f"hello.{t}").is_file(), f"{way} did not build hello.{t}"
    abi = run(["solo5-elftool", "query-abi", f"hello.{target}"], work, user_env(installed))
    assert f'"target": "{target}"' in abi.stdout
    check_hello(run_unikernel(installed, work / f"hello.{target}", target, ["out", "of tree"]),
                "out of tree")


@pytest.mark.parametrize("way", ["make-wrapper", "scons-tool"])
def test_hello_finds_solo5_on_path(installed: Path, tmp_path: Path, way: str) -> None:
    """Without SOLO5_PREFIX, the Solo5 on PATH is used."""
    work = tmp_path / "hello"
    shutil.copytree(HELLO, work)
    build(way, installed, work, path_has_solo5=True)
    check_hello(run_unikernel(installed, work / "hello.spt", "spt"), "")


def test_makefile_is_incremental(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "hello"
    shutil.copytree(HELLO, work)
    build("make-wrapper", installed, work, path_has_solo5=True)
    again = run(["make"], work, user_env(installed))
    assert "Nothing to be done" in again.stdout, again.stdout


def image_files(archive: Path) -> dict[str, bytes]:
    """The files of the one image in an OCI archive: path in the image -> bytes,
    and ".cmd" -> its command as JSON."""
    with tarfile.open(archive) as tar:
        blobs = {m.name: f.read() for m in tar.getmembers() if (f := tar.extractfile(m))}

    def by_digest(digest: str) -> bytes:
        return blobs["blobs/sha256/" + digest.removeprefix("sha256:")]

    index = json.loads(blobs["index.json"])
    manifest = json.loads(by_digest(index["manifests"][0]["digest"]))
    config = json.loads(by_digest(manifest["config"]["digest"]))
    layer = gzip.decompress(by_digest(manifest["layers"][0]["digest"]))
    with tarfile.open(fileobj=io.BytesIO(layer)) as files:
        contents = {m.name: f.read() for m in files.getmembers() if (f := files.extractfile(m))}
    contents[".cmd"] = json.dumps(config["config"]["Cmd"]).encode()
    return contents


@pytest.mark.parametrize("way", ["make-wrapper", "scons-tool"])
@pytest.mark.parametrize("target", ["hvt", "spt"])
def test_image_rule_writes_an_oci_archive(
    installed: Path, tmp_path: Path, way: str, target: str
) -> None:
    """`make image` / `scons image`: the unikernel alone in an OCI archive, no engine."""
    work = tmp_path / "hello"
    shutil.copytree(HELLO, work)
    image = [f"IMAGE_TARGET={target}", "image"]
    argv = ["make", *image] if way == "make-wrapper" else [scons(), "-Q", *image]
    run(argv, work, user_env(installed))
    kernel = (work / f"hello.{target}").read_bytes()
    assert image_files(work / f"hello-{target}.tar") == {
        f"hello.{target}": kernel,
        ".cmd": json.dumps([f"/hello.{target}"]).encode(),
    }
    assert not list(work.glob("*.tmp")), "build-image left its temporary file"


def test_plain_build_writes_no_image(installed: Path, tmp_path: Path) -> None:
    """The image is asked for: `make` and `scons` alone build the unikernels only."""
    for way in ("make-wrapper", "scons-tool"):
        work = tmp_path / way
        shutil.copytree(HELLO, work)
        build(way, installed, work, path_has_solo5=True)
        assert (work / "hello.hvt").is_file()
        assert not list(work.glob("*.tar")), f"{way} wrote an image unasked"
