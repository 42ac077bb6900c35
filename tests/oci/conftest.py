"""Fixtures of the solo5-oci suites."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .engines import Podman, unique, why_no_engine
from .helpers import RUNTIME, Runtime, cgroup_dirs, guest


@pytest.fixture(scope="session")
def cgroup_parent() -> Iterator[str]:
    """A cgroup the tests' containers go under, removed at the end."""
    parent = f"/solo5-oci-test-{uuid.uuid4().hex[:8]}"
    yield parent
    for path in sorted(cgroup_dirs(parent), key=lambda p: -len(p.parts)):
        for child in sorted(path.glob("**/"), key=lambda p: -len(p.parts)):
            child.rmdir()


@pytest.fixture
def runtime(tmp_path: Path, cgroup_parent: str) -> Runtime:
    """solo5-oci, built, with a private --root; root needed."""
    if os.geteuid() != 0:
        pytest.skip("solo5-oci runs containers as root (namespaces, cgroups, taps)")
    assert RUNTIME.is_file(), f"{RUNTIME} is not built: run `scons -Q -j2`"
    return Runtime(tmp_path / "root", cgroup_parent)


@pytest.fixture(scope="session")
def podman(cgroup_parent: str) -> Iterator[Podman]:
    """podman with a private configuration and storage, emptied afterwards."""
    reason = why_no_engine("podman", "conmon", "runc")
    if reason:
        pytest.skip(reason)
    engine = Podman.make(cgroup_parent)
    yield engine
    engine.destroy()


# The test image: every unikernel the podman and containerd tests run (and
# /notes.txt, /linux.elf: a text file and this Linux ELF, which are not).
LINUX_ELF = "/usr/bin/true"
IMAGE_GUESTS = [
    ("hello", "hvt"),
    ("hello", "spt"),
    ("spin", "hvt"),
    ("spin", "spt"),
    ("exit", "hvt"),
    ("exit", "spt"),
    ("blk", "hvt"),
    ("blk", "spt"),
    ("net", "hvt"),
    ("net", "spt"),
]


@pytest.fixture(scope="session")
def podman_image(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> str:
    """localhost/solo5-oci-test-*: /<name>.<target> for IMAGE_GUESTS."""
    context = tmp_path_factory.mktemp("image")
    names = []
    for name, target in IMAGE_GUESTS:
        shutil.copyfile(guest(name, target), context / f"{name}.{target}")
        names.append(f"{name}.{target}")
    # Not unikernels, for the bad-input tests: a text file and a Linux ELF.
    (context / "notes.txt").write_text("not a unikernel\n")
    shutil.copyfile(LINUX_ELF, context / "linux.elf")
    names += ["notes.txt", "linux.elf"]
    (context / "Containerfile").write_text(
        f'FROM scratch\nCOPY {" ".join(names)} /\nCMD ["/hello.hvt", "Hello_Solo5"]\n'
    )
    tag = f"localhost/{unique('solo5-oci-test')}"
    result = podman("build", "--quiet", "--tag", tag, str(context))
    assert result.status == 0, result.describe()
    return tag
