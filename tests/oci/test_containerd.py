"""containerd runs unikernels through its runc shim with solo5-oci as the
runc binary (`ctr run --runc-binary`, what a Kubernetes RuntimeClass's
BinaryName does): the image from `podman save`, output, statuses, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .engines import Containerd, Podman, unique, why_no_engine
from .helpers import cgroup_dirs, kvm_usable

TENDERS = ["hvt", "spt"] if kvm_usable() else ["spt"]


@pytest.fixture(scope="module")
def containerd() -> Iterator[Containerd]:
    reason = why_no_engine("containerd", "ctr", "containerd-shim-runc-v2")
    if reason:
        pytest.skip(reason)
    daemon = Containerd.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def ctr_image(
    containerd: Containerd,
    podman: Podman,
    podman_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """The podman test image, saved as an OCI archive and imported."""
    archive = tmp_path_factory.mktemp("ctr") / "image.tar"
    saved = podman("save", "--format", "oci-archive", "-o", str(archive), podman_image)
    assert saved.status == 0, saved.describe()
    imported = containerd.ctr("image", "import", str(archive))
    assert imported.status == 0, imported.describe()
    return f"{podman_image}:latest"


def ctr_run(
    containerd: Containerd, cgroup_parent: str, image: str, *command: str
) -> tuple[str, int, str, str]:
    container_id = unique("solo5-oci-ctr")
    result = containerd.ctr(
        *containerd.run_args(),
        "--rm",
        "--cgroup",
        f"{cgroup_parent}/{container_id}",
        image,
        container_id,
        *command,
    )
    return container_id, result.status, result.stdout, result.stderr


@pytest.mark.parametrize("target", TENDERS)
def test_run(target: str, containerd: Containerd, ctr_image: str, cgroup_parent: str) -> None:
    cid, status, out, err = ctr_run(
        containerd, cgroup_parent, ctr_image, f"/hello.{target}", "Hello_Solo5"
    )
    assert status == 0, out + err
    assert "Hello, World\nCommand line is: 'Hello_Solo5'\nSUCCESS\n" in out, out + err
    assert not (containerd.home / "runc" / "default" / cid).exists()
    assert not cgroup_dirs(f"{cgroup_parent}/{cid}")
    assert containerd.ctr("containers", "list", "--quiet").stdout == ""


def test_status(containerd: Containerd, ctr_image: str, cgroup_parent: str) -> None:
    _cid, status, out, err = ctr_run(
        containerd, cgroup_parent, ctr_image, f"/exit.{TENDERS[0]}", "42"
    )
    assert status == 42, out + err


def test_error_reaches_ctr(containerd: Containerd, ctr_image: str, cgroup_parent: str) -> None:
    """containerd reads the reason from solo5-oci's --log."""
    cid, status, _out, err = ctr_run(containerd, cgroup_parent, ctr_image, "/nosuch.hvt")
    assert status != 0
    assert "OCI runtime create failed: solo5-oci: /nosuch.hvt: no such file in the rootfs" in err
    assert not cgroup_dirs(f"{cgroup_parent}/{cid}")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("/notes.txt", "/notes.txt: not an ELF file (not a Solo5 unikernel)"),
        ("/linux.elf", "/linux.elf: invalid executable: not an executable (ET_DYN)"),
    ],
)
def test_not_a_unikernel(
    command: str, message: str, containerd: Containerd, ctr_image: str, cgroup_parent: str
) -> None:
    """A text file or a Linux ELF as args[0]: one line naming it, non-zero,
    no container, task state or cgroup left."""
    cid, status, _out, err = ctr_run(containerd, cgroup_parent, ctr_image, command)
    assert status != 0
    lines = [line for line in err.splitlines() if "solo5-oci: " in line]
    assert len(lines) == 1 and message in lines[0], err
    assert not (containerd.home / "runc" / "default" / cid).exists()
    assert not cgroup_dirs(f"{cgroup_parent}/{cid}")
    assert containerd.ctr("containers", "list", "--quiet").stdout == ""


def test_build_image(containerd: Containerd, cgroup_parent: str, tmp_path: Path) -> None:
    """An image written by `solo5-oci build-image`, no engine involved."""
    import subprocess

    from .helpers import RUNTIME, guest

    unikernel = tmp_path / f"hello.{TENDERS[0]}"
    unikernel.write_bytes(guest("hello", TENDERS[0]).read_bytes())
    archive = tmp_path / "hello.tar"
    tag = f"localhost/{unique('solo5-oci-built')}:1"
    built = subprocess.run(
        [
            str(RUNTIME),
            "build-image",
            "--output",
            str(archive),
            "--tag",
            tag,
            str(unikernel),
            "Hello_Solo5",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0 and built.stdout == f"{tag}\n", built.stderr
    imported = containerd.ctr("image", "import", str(archive))
    assert imported.status == 0, imported.describe()
    try:
        _cid, status, out, err = ctr_run(containerd, cgroup_parent, tag)
        assert status == 0 and "SUCCESS" in out, out + err
    finally:
        containerd.ctr("image", "remove", tag)
