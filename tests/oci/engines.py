"""podman and containerd for the tests, each with a private configuration:
nothing of the host's configuration, storage, networks or daemons is used
or changed, and everything is removed afterwards.

This host's quirks (docs/containers.md, "Hosts without CAP_SYS_RESOURCE"):
podman's default rlimits exceed what the host lets a process raise, so the
private containers.conf sets `default_ulimits = []`; cgroups are v1 with a
v2 hierarchy beside (hybrid), which solo5-oci handles, and there is no
systemd, so podman uses cgroupfs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .helpers import RUNTIME, Result

CONTAINERS_CONF = """\
[containers]
default_ulimits = []

[network]
network_config_dir = "{home}/networks"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{home}/events.log"
tmp_dir = "{home}/tmp"
"""

STORAGE_CONF = """\
[storage]
driver = "vfs"
graphroot = "{home}/storage"
runroot = "{home}/run"
"""


def why_no_engine(*commands: str) -> str | None:
    if os.geteuid() != 0:
        return "the engine tests run rootful podman and containerd (root)"
    for command in commands:
        if shutil.which(command) is None:
            return f"{command} is not installed (scripts/ensure-env.sh installs it)"
    return None


def _run(
    argv: Sequence[str], env: dict[str, str] | None, timeout: float, stdin: str | None = None
) -> Result:
    proc = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        check=False,
    )
    return Result(list(argv), proc.returncode, proc.stdout, proc.stderr)


@dataclass
class Podman:
    """podman with private containers.conf and storage.conf (vfs: plain
    directories, nothing mounted), and a private cgroup parent."""

    home: Path
    cgroup_parent: str
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, cgroup_parent: str) -> Podman:
        home = Path(tempfile.mkdtemp(prefix="s5oci-podman-", dir="/tmp"))
        (home / "containers.conf").write_text(CONTAINERS_CONF.format(home=home))
        (home / "storage.conf").write_text(STORAGE_CONF.format(home=home))
        env = {
            **os.environ,
            "CONTAINERS_CONF": str(home / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(home / "storage.conf"),
        }
        return cls(home, cgroup_parent, env)

    def __call__(self, *args: str, timeout: float = 120.0, netns: str | None = None) -> Result:
        """podman ARGS, inside network namespace `netns` if given (with
        nsenter --net, which keeps /sys and the cgroup mounts as they are)."""
        prefix = ["nsenter", f"--net=/var/run/netns/{netns}"] if netns else []
        return _run([*prefix, "podman", *args], self.env, timeout)

    def run_args(self, *options: str) -> list[str]:
        """`podman run` with solo5-oci as the runtime, as a user writes it."""
        return ["run", f"--runtime={RUNTIME}", f"--cgroup-parent={self.cgroup_parent}", *options]

    def destroy(self) -> None:
        self("rm", "--all", "--force", "--time", "0")
        self("rmi", "--all", "--force")
        shutil.rmtree(self.home, ignore_errors=True)


@dataclass
class Containerd:
    """containerd with a private root, state, socket and runc root; started
    for the tests, stopped after them."""

    home: Path
    process: subprocess.Popen[bytes]
    created_run_dir: bool  # containerd makes /run/containerd/s for its shims

    @classmethod
    def start(cls) -> Containerd:
        home = Path(tempfile.mkdtemp(prefix="s5oci-ctrd-", dir="/tmp"))
        existed = os.path.exists("/run/containerd")
        config = home / "config.toml"
        config.write_text(
            "version = 2\n"
            f'root = "{home}/root"\nstate = "{home}/state"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\naddress = "{home}/sock"\n'
            f'[ttrpc]\naddress = "{home}/ttrpc.sock"\n'
        )
        log = open(home / "containerd.log", "wb")  # noqa: SIM115 (the daemon's for its life)
        process = subprocess.Popen(
            ["containerd", "--config", str(config)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        daemon = cls(home, process, not existed)
        daemon.wait_ready()
        return daemon

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket(socket.AF_UNIX) as sock:
                try:
                    sock.connect(str(self.home / "sock"))
                    return
                except OSError:
                    pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.home / "containerd.log").read_text(errors="replace")
                raise AssertionError(f"containerd did not start:\n{log[-3000:]}")
            time.sleep(0.05)

    def ctr(self, *args: str, timeout: float = 120.0) -> Result:
        return _run(["ctr", "--address", str(self.home / "sock"), *args], None, timeout)

    def run_args(self) -> list[str]:
        """`ctr run` options that make solo5-oci the runtime (a private runc root)."""
        return [
            "run",
            "--runc-binary",
            str(RUNTIME),
            "--runc-root",
            str(self.home / "runc"),
            "--fifo-dir",
            str(self.home / "fifo"),
        ]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)
        if self.created_run_dir:  # only the empty directories it made
            for leftover in ("s", "fifo", "runc", ""):
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.join("/run/containerd", leftover))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
