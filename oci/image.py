"""`solo5-oci build-image`: a unikernel -> an OCI image, without any engine.

The image holds the unikernel at /<its file name> (and any --file given),
and the org.solo5.* annotations given, if any, at /.solo5/annotations.json
(create reads them there: not every engine passes an image's annotations to
the runtime) and in its manifest (podman copies those); nothing else.  Its command is
the unikernel and its arguments.  Output is an
OCI image layout: a directory (`podman pull oci:DIR`) or, for a name ending
in .tar, the same as one archive (`podman load -i`, `ctr image import`).
Every byte is reproducible: fixed times, owners and order.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import posixpath
import tarfile
from collections.abc import Sequence
from typing import NamedTuple

from solo5_oci.annotations import IMAGE_FILE, check_image_annotations
from solo5_oci.errors import OciError
from solo5_oci.unikernel import check_target

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
EPOCH = "1970-01-01T00:00:00Z"


class Blob(NamedTuple):
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def descriptor(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}


def _tar_member(archive: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    info.uname = info.gname = ""
    archive.addfile(info, io.BytesIO(data))


def _with_ancestors(directories: list[str]) -> list[str]:
    found = set()
    for directory in directories:
        while directory:
            found.add(directory)
            directory = posixpath.dirname(directory)
    return sorted(found)


def layer(files: Sequence[tuple[str, bytes, int]]) -> tuple[bytes, bytes]:
    """(gzipped layer, its uncompressed tar) holding `files` (path, data, mode)."""
    raw = io.BytesIO()
    parents = sorted({posixpath.dirname(path.lstrip("/")) for path, _d, _m in files} - {""})
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for directory in _with_ancestors(parents):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            archive.addfile(info)
        for path, data, mode in sorted(files):
            _tar_member(archive, path.lstrip("/"), data, mode)
    tar = raw.getvalue()
    return gzip.compress(tar, mtime=0), tar


def image_blobs(
    files: Sequence[tuple[str, bytes, int]],
    command: Sequence[str],
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
) -> tuple[Blob, list[Blob]]:
    """The manifest and every blob of the image."""
    compressed, tar = layer(files)
    layer_blob = Blob(LAYER_TYPE, compressed)
    config = {
        "created": EPOCH,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": list(command), **({"Labels": labels} if labels else {})},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
        "history": [{"created": EPOCH, "created_by": "solo5-oci build-image"}],
    }
    config_blob = Blob(CONFIG_TYPE, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": config_blob.descriptor(),
        "layers": [layer_blob.descriptor()],
        **({"annotations": annotations} if annotations else {}),
    }
    manifest_blob = Blob(MANIFEST_TYPE, json.dumps(manifest, sort_keys=True).encode())
    return manifest_blob, [config_blob, layer_blob, manifest_blob]


def layout_files(manifest: Blob, blobs: Sequence[Blob], tag: str) -> list[tuple[str, bytes]]:
    """The files of the OCI image layout."""
    entry = {**manifest.descriptor(), "annotations": {"org.opencontainers.image.ref.name": tag}}
    index = {"schemaVersion": 2, "manifests": [entry]}
    files = [
        ("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode()),
        ("index.json", json.dumps(index, sort_keys=True).encode()),
    ]
    files += [(f"blobs/sha256/{b.digest.split(':')[1]}", b.data) for b in blobs]
    return files


def _read_input(path: str) -> tuple[bytes, int]:
    try:
        with open(path, "rb") as stream:
            data = stream.read()
        mode = os.stat(path).st_mode
    except OSError as error:
        raise OciError(f"{path}: {error.strerror or error}") from None
    return data, 0o755 if mode & 0o111 else 0o644


def _check_unikernel(path: str, data: bytes) -> None:
    from solo5_toolchain import elf

    try:
        target = elf.read_abi(elf.parse(path, data)).target_name
    except elf.ElfFileError as error:
        raise OciError(f"{error} (not a Solo5 unikernel)") from None
    check_target(path, target)


def _write_output(output: str, files: list[tuple[str, bytes]]) -> None:
    try:
        if output.endswith(".tar"):
            tmp = f"{output}.{os.getpid()}.tmp"
            with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as archive:
                for name, data in files:
                    _tar_member(archive, name, data, 0o644)
            os.replace(tmp, output)
            return
        os.makedirs(os.path.join(output, "blobs", "sha256"), exist_ok=True)
        for name, data in files:
            with open(os.path.join(output, name), "wb") as stream:
                stream.write(data)
    except OSError as error:
        raise OciError(f"{output}: {error.strerror or error}") from None


def annotations_file(annotations: dict[str, str]) -> tuple[str, bytes, int]:
    """The image's own org.solo5.* annotations, checked, as a rootfs file."""
    check_image_annotations(annotations)
    text = json.dumps(annotations, sort_keys=True, indent=2) + "\n"
    return "/" + IMAGE_FILE, text.encode(), 0o644


def build(
    unikernel: str,
    args: Sequence[str],
    output: str,
    tag: str | None,
    extra: Sequence[str],
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
) -> str:
    """Write the image; returns its tag."""
    own = annotations_file(annotations) if annotations else None
    data, mode = _read_input(unikernel)
    _check_unikernel(unikernel, data)
    inside = "/" + os.path.basename(unikernel)
    files = [(inside, data, mode)]
    for item in extra:
        source, sep, dest = item.partition(":")
        if not sep or not dest.startswith("/") or posixpath.normpath(dest) in ("/", inside):
            raise OciError(f"--file {item}: expected SOURCE:/ABSOLUTE/PATH in the image")
        if own and posixpath.normpath(dest) == own[0]:
            raise OciError(f"--file {item}: --annotation writes {own[0]}")
        files.append((posixpath.normpath(dest), *_read_input(source)))
    if own:
        files.append(own)
    name = tag or f"localhost/{os.path.splitext(os.path.basename(unikernel))[0]}:latest"
    manifest, blobs = image_blobs(files, [inside, *args], labels, annotations)
    _write_output(output, layout_files(manifest, blobs, name))
    return name
