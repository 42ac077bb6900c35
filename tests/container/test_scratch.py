"""examples/hello/Containerfile: a unikernel image built FROM the Solo5 image
in a multi-stage build whose last stage is `FROM scratch` + the unikernel
(what solo5-oci users build in CI). The result must hold that one file."""

from __future__ import annotations

import json
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.podman import Podman

from .conftest import TOP


def oci_layout(archive: Path, unpack: Path) -> tuple[Any, list[tarfile.TarFile]]:
    """The image config and layers of a one-image `podman save --format oci-archive`."""
    with tarfile.open(archive) as outer:
        outer.extractall(unpack, filter="data")

    def blob(digest: str) -> Path:
        return unpack / "blobs" / "sha256" / digest.split(":", 1)[1]

    index = json.loads((unpack / "index.json").read_text())
    manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
    config = json.loads(blob(manifest["config"]["digest"]).read_text())
    return config, [tarfile.open(blob(layer["digest"])) for layer in manifest["layers"]]


@pytest.mark.parametrize("target", ["hvt", "spt"])
def test_scratch_image_holds_only_the_unikernel(
    podman: Podman, image: str, user_tree: Callable[[str], Path], tmp_path: Path, target: str
) -> None:
    tree = user_tree("hello")
    name = f"{image}-hello-{target}"
    podman.run(
        "build",
        "--network=none",
        "--pull=never",
        "--build-arg",
        f"SOLO5_IMAGE={image}",
        "--build-arg",
        f"TARGET={target}",
        "--tag",
        name,
        str(tree),
        timeout=300,
    )
    archive = tmp_path / "image.tar"
    podman.run("save", "--format=oci-archive", "-o", str(archive), name)
    podman.run("rmi", name)

    config, layers = oci_layout(archive, tmp_path / "layout")
    assert config["config"]["Entrypoint"] == ["/hello"], config
    files = [m.name.lstrip("./") for layer in layers for m in layer.getmembers()]
    assert files == ["hello"], files

    layers[0].extractall(tmp_path / "rootfs", filter="data")
    kernel = tmp_path / "rootfs" / "hello"
    abi = subprocess.run(
        [TOP / "build" / "stage" / "bin" / "solo5-elftool", "query-abi", kernel],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f'"target": "{target}"' in abi.stdout, abi.stdout
