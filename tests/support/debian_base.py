"""A Debian 12 base image made here, for building the Containerfile without
a registry.

The Containerfile starts FROM docker.io/library/debian:12-slim. No registry
is reachable from this machine or CI, so the tests make an equivalent root
file system with mmdebstrap from the machine's own apt sources (the Debian
mirror it installs packages from), as a tarball that `podman import` turns
into that image.

The tarball is cached between runs (default /var/cache/solo5-tests, or
$SOLO5_TEST_CACHE) under a name keyed by everything that decides its
content: the recipe below, the apt sources and the apt options that reach
the mirror. Another key, or a tarball older than MAX_AGE (the mirror moves
on: security updates), means a new one is made; older ones are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

DEFAULT_CACHE = Path("/var/cache/solo5-tests")
MAX_AGE = 30 * 24 * 3600
SUITE = "bookworm"
PREFIX = "debian-12-slim-"

# What debian:12-slim is: the minbase package set with a merged /usr and no
# usrmerge package, without documentation, man pages or translations, and
# the image's apt and dpkg settings: no fsync while unpacking (a container's
# layer is written once), compressed indexes, no translations.
RECIPE = (
    "--variant=minbase",
    "--mode=root",
    "--format=tar",
    "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
    "--skip=output/dev",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    "--dpkgopt=force-unsafe-io",
    '--aptopt=Acquire::GzipIndexes "true"',
    '--aptopt=Acquire::Languages "none"',
    '--aptopt=Apt::AutoRemove::SuggestsImportant "false"',
)

# The image's environment, as the registry's debian:12-slim has it.
IMAGE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'CMD ["bash"]',
)

# The apt options of this machine that decide whether its mirror is reached
# and accepted (a proxy; an archive snapshot's expired Release files): the
# image's apt needs them too. Everything else of the host's apt stays out.
APT_OPTIONS = (
    "Acquire::Check-Valid-Until",
    "Acquire::Check-Date",
    "Acquire::http::Proxy",
    "Acquire::https::Proxy",
)


class BaseUnavailable(Exception):
    """The base cannot be made here (no mmdebstrap, not root, no sources)."""


def apt_sources() -> list[Path]:
    """The machine's enabled apt source files (one-line and deb822)."""
    etc = Path("/etc/apt")
    files = [etc / "sources.list"] if (etc / "sources.list").is_file() else []
    for pattern in ("*.list", "*.sources"):
        files += sorted(etc.glob(f"sources.list.d/{pattern}"))
    return [f for f in files if any(_is_entry(line) for line in f.read_text().splitlines())]


def _is_entry(line: str) -> bool:
    """A binary-package source: `deb ...` or deb822's `Types: deb ...`."""
    words = line.split()
    return bool(words) and (words[0] == "deb" or (words[0] == "Types:" and "deb" in words[1:]))


def apt_options() -> list[str]:
    """`--aptopt` values: this machine's settings of APT_OPTIONS."""
    dump = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, check=True)
    keep = []
    for line in dump.stdout.splitlines():
        key = line.split(" ", 1)[0]
        if any(key == opt or key.startswith(opt + "::") for opt in APT_OPTIONS):
            keep.append(line.rstrip(";"))
    return keep


def recipe_key(sources: Sequence[Path], options: Sequence[str]) -> str:
    """A digest of everything that decides the tarball's content."""
    what = {
        "suite": SUITE,
        "recipe": RECIPE,
        "changes": IMAGE_CHANGES,
        "sources": [f.read_text() for f in sources],
        "aptopts": list(options),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def why_unavailable() -> str | None:
    """None if the base can be made here, else the reason."""
    if os.geteuid() != 0:
        return "mmdebstrap --mode=root needs root"
    if shutil.which("mmdebstrap") is None:
        return "mmdebstrap is not installed (apt-get install mmdebstrap)"
    if not apt_sources():
        return "this machine has no apt sources to make a Debian base from"
    return None


def cached_base(cache: Path | None = None) -> Path:
    """The base tarball: the cached one if its key matches and it is fresh,
    else a new one (made by mmdebstrap, which downloads ~30 MB)."""
    reason = why_unavailable()
    if reason:
        raise BaseUnavailable(reason)
    cache = cache or Path(os.environ.get("SOLO5_TEST_CACHE", DEFAULT_CACHE))
    sources, options = apt_sources(), apt_options()
    tarball = cache / f"{PREFIX}{recipe_key(sources, options)}.tar"
    if tarball.is_file() and time.time() - tarball.stat().st_mtime < MAX_AGE:
        return tarball
    cache.mkdir(parents=True, exist_ok=True)
    _make(tarball, sources, options)
    for old in cache.glob(f"{PREFIX}*.tar"):
        if old != tarball:
            old.unlink(missing_ok=True)
    return tarball


def _make(tarball: Path, sources: Sequence[Path], options: Sequence[str]) -> None:
    """mmdebstrap into a temporary file beside `tarball`, then renamed onto it
    (a concurrent run sees the old tarball or the new one, never half)."""
    fd, partial = tempfile.mkstemp(prefix=".partial-", suffix=".tar", dir=tarball.parent)
    os.close(fd)
    argv = [
        "mmdebstrap",
        "--quiet",
        *RECIPE,
        *(f"--aptopt={o}" for o in options),
        SUITE,
        partial,
        *map(str, sources),
    ]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=1200, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: status {proc.returncode}\n{proc.stderr}")
        os.chmod(partial, 0o644)
        os.replace(partial, tarball)
    finally:
        Path(partial).unlink(missing_ok=True)


def import_args(tarball: Path, name: str) -> list[str]:
    """podman's arguments that import the tarball as the image `name`."""
    return ["import", *(f"--change={c}" for c in IMAGE_CHANGES), str(tarball), name]
