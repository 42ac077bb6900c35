"""Fixtures of the container suite: a private podman, the Debian base made
from this machine's apt sources, and the image built from the Containerfile.

The image is built once for the suite, the way docs/container.md says (the
only difference: `--network=host`, so that the build's apt reaches the
mirror without podman making a bridge on the host). Everything is removed
at the end of the suite, and the host's network configuration must be as
it was; the base tarball stays cached (support/debian_base.py).
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import debian_base, host_state
from support.podman import Podman, private_podman, why_unavailable

TOP = Path(__file__).resolve().parent.parent.parent
CONTAINERFILE = TOP / "Containerfile"
IMAGE = f"localhost/solo5-test-{uuid.uuid4().hex[:8]}"
BUILD_TIMEOUT = 1800  # a first build downloads ~100 MB of Debian packages


def containerfile_base() -> str:
    """The image the Containerfile starts from by default (its ARG BASE)."""
    found = re.search(r"^ARG BASE=(\S+)$", CONTAINERFILE.read_text(), re.MULTILINE)
    assert found, f"{CONTAINERFILE}: no `ARG BASE=<image>` line"
    return found.group(1)


@pytest.fixture(scope="package")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    before = host_state.snapshot()
    with private_podman(tmp_path_factory.mktemp("podman")) as engine:
        yield engine
    changed = host_state.changes(before, host_state.snapshot())
    assert not changed, "the container tests changed the host's network:\n" + "\n".join(changed)


@pytest.fixture(scope="package")
def base_image(podman: Podman) -> str:
    """The Containerfile's default base, made from Debian packages (cached)."""
    try:
        tarball = debian_base.cached_base()
    except debian_base.BaseUnavailable as e:
        pytest.skip(f"cannot make the Debian base image: {e}")
    name = containerfile_base()
    podman.run(*debian_base.import_args(tarball, name))
    return name


@pytest.fixture(scope="package")
def image(podman: Podman, base_image: str) -> str:
    """The Solo5 image, built from this checkout."""
    podman.run(
        "build",
        "--network=host",
        "--pull=never",
        "--file",
        str(CONTAINERFILE),
        "--tag",
        IMAGE,
        str(TOP),
        timeout=BUILD_TIMEOUT,
    )
    return IMAGE


@pytest.fixture
def user_tree(tmp_path: Path):
    """Copies an example of this tree into a fresh folder: a user's project."""

    def copy(example: str) -> Path:
        dest = tmp_path / example
        shutil.copytree(TOP / "examples" / example, dest)
        return dest

    return copy
