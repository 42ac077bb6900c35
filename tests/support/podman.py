"""A podman of the tests' own: private storage, configuration and state.

Everything it makes (images, containers, layers, its lock and network files)
lives under one directory the test owns and is removed with it, so the host's
podman (and another engineer's tests using podman at the same time) never see
it. Nothing in /etc is read or changed: CONTAINERS_CONF,
CONTAINERS_STORAGE_CONF and CONTAINERS_REGISTRIES_CONF point at files here.

Containers (and build steps) run under a cgroup parent of its own, removed
at the end, and conmon in none (`cgroups = "no-conmon"`): podman's defaults
would leave /libpod_parent and its conmon group on the host.

The configuration carries this machine's two quirks (docs/container.md):
its cgroup mounts are v1 with a v2 `unified` hierarchy, which crun refuses
and runc accepts, and the process lacks CAP_SYS_RESOURCE, so podman's
default rlimits cannot be set (`default_ulimits = []`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CONTAINERS_CONF = """\
[containers]
default_ulimits = []
cgroups = "no-conmon"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{root}/events.log"
tmp_dir = "{root}/tmp"

[network]
network_config_dir = "{root}/networks"
"""

STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{root}/storage"
runroot = "{root}/run"
"""

# Not set here on purpose: static_dir and volume_path default to directories
# under graphroot (private already), and conmon's clean-up command is not
# told a static_dir that differs: every `podman run` then waited 20 s.

# No registry is reachable: never try one.
REGISTRIES_CONF = "unqualified-search-registries = []\n"


class PodmanUnavailable(Exception):
    """podman cannot run containers here (not root, not installed)."""


def why_unavailable() -> str | None:
    """None if private podman containers can run here, else the reason."""
    if os.geteuid() != 0:
        return "the container tests run rootful podman and need root"
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install podman runc)"
    return None


# The subcommands that start containers, and so take --cgroup-parent.
STARTS_CONTAINERS = ("run", "create", "build")


@dataclass(frozen=True)
class Podman:
    root: Path
    cgroup_parent: str  # e.g. /solo5-podman-1a2b3c4d, in every hierarchy

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CONTAINERS_CONF": str(self.root / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(self.root / "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(self.root / "registries.conf"),
        }

    def run(
        self, *args: str, status: int | None = 0, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """`podman ARGS` (no stdin); unless `status` is None, fail with a full
        account if it exits otherwise."""
        if args and args[0] in STARTS_CONTAINERS:
            args = (args[0], f"--cgroup-parent={self.cgroup_parent}", *args[1:])
        argv = ["podman", *args]
        proc = subprocess.run(
            argv,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if status is not None:
            assert proc.returncode == status, (
                f"$ {' '.join(argv)}\nexit status {proc.returncode}, expected {status}\n"
                f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
            )
        return proc


def cgroup_dirs(parent: str) -> list[Path]:
    """`parent`'s directories in every cgroup hierarchy, deepest first."""
    found = [p for p in Path("/sys/fs/cgroup").glob(f"*{parent}") if p.is_dir()]
    found += [d for p in list(found) for d in p.glob("**/") if d != p]
    return sorted(found, key=lambda p: -len(p.parts))


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below `root` (left behind, they would keep files)."""
    found = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            point = line.split()[4]
            if point == str(root) or point.startswith(f"{root}/"):
                found.append(point)
    return found


@contextmanager
def private_podman(root: Path) -> Iterator[Podman]:
    """A Podman whose every file is under `root`; on exit its containers and
    images are removed and `root` deleted (an error if a mount is left)."""
    reason = why_unavailable()
    if reason:
        raise PodmanUnavailable(reason)
    root.mkdir(parents=True, exist_ok=True)
    (root / "containers.conf").write_text(CONTAINERS_CONF.format(root=root))
    (root / "storage.conf").write_text(STORAGE_CONF.format(root=root))
    (root / "registries.conf").write_text(REGISTRIES_CONF)
    podman = Podman(root, f"/solo5-podman-{uuid.uuid4().hex[:8]}")
    try:
        yield podman
    finally:
        podman.run("rm", "--all", "--force", "--time=0", status=None)
        podman.run("rmi", "--all", "--force", status=None)
        for group in cgroup_dirs(podman.cgroup_parent):
            group.rmdir()  # empty now: every container is gone
        left = mounts_under(root) + [str(g) for g in cgroup_dirs(podman.cgroup_parent)]
        if not left:
            shutil.rmtree(root)
    assert not left, f"podman left mounts or cgroups behind: {left}"
