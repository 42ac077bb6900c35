""".devcontainer/devcontainer.json: editors that speak the Dev Containers spec
open this repository inside the image the Containerfile builds.

No Dev Containers tool is installed here; the test does what one does with
the file: build `build.dockerfile` in `build.context` (the suite's image is
that build), then `podman run` the image with `runArgs` and the repository
mounted at the spec's default workspace folder, /workspaces/<folder name>.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support.paths import GUESTS
from support.podman import Podman
from support.source_tree import source_tree

from .conftest import CONTAINERFILE, TOP

DEVCONTAINER = TOP / ".devcontainer" / "devcontainer.json"
WORKSPACE = f"/workspaces/{TOP.name}"


def config() -> Any:
    return json.loads(DEVCONTAINER.read_text())


def test_it_builds_the_containerfile_from_the_repository() -> None:
    build = config()["build"]
    assert (DEVCONTAINER.parent / build["dockerfile"]).resolve() == CONTAINERFILE
    assert (DEVCONTAINER.parent / build["context"]).resolve() == TOP


def test_the_repository_opens_with_kvm_and_taps(podman: Podman, image: str) -> None:
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        pytest.skip(f"runArgs pass /dev/kvm, which this host cannot open: {e.strerror}")
    guest = GUESTS / "test_hello" / "test_hello.hvt"
    assert guest.is_file(), f"{guest} is not built: run `scons -Q -j2`"
    script = f"solo5-tap >/dev/null && solo5-hvt --mem=2 {guest.relative_to(TOP)} Hello_Solo5"
    proc = podman.run(
        "run",
        "--rm",
        "--network=none",
        *config()["runArgs"],
        "-v",
        f"{TOP}:{WORKSPACE}:ro",
        "-w",
        WORKSPACE,
        image,
        "sh",
        "-ec",
        script,
        timeout=120,
    )
    assert "SUCCESS" in proc.stdout, proc.stdout + proc.stderr


SETUP_OPT_IN = "SOLO5_TEST_DEVCONTAINER_SETUP"


def test_post_create_command_sets_up_builds_and_runs(
    podman: Podman, image: str, tmp_path: Path
) -> None:
    """postCreateCommand (scripts/demo) in a copy of the checkout: the Debian
    packages the build lacks, `scons demo`, a demo unikernel on hvt."""
    if os.environ.get(SETUP_OPT_IN) != "1":
        pytest.skip(
            f"installs Debian packages from the mirror and builds the demo (~1 min): "
            f"set {SETUP_OPT_IN}=1 to run it"
        )
    tree = source_tree(tmp_path / "solo5")
    # apt reaches the mirror through the host's network: the spec's default
    # (a bridge) would add one to this host.
    proc = podman.run(
        "run",
        "--rm",
        "--network=host",
        *config()["runArgs"],
        "-v",
        f"{tree}:{WORKSPACE}",
        "-w",
        WORKSPACE,
        image,
        "sh",
        "-c",
        config()["postCreateCommand"],
        timeout=1800,
    )
    assert "solo5-hvt" in proc.stdout and "SUCCESS" in proc.stdout, proc.stdout + proc.stderr
