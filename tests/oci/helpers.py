"""What the solo5-oci suites share: the runtime, bundles made by hand, a
container run the way an engine runs one (reaper.py), and checks that
nothing is left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOP = Path(__file__).resolve().parent.parent.parent
STAGE = TOP / "build" / "stage"
RUNTIME = STAGE / "bin" / "solo5-oci"
GUESTS = TOP / "build" / "tests"
REAPER = Path(__file__).resolve().parent / "reaper.py"
CGROUP_ROOT = Path("/sys/fs/cgroup")
TIMEOUT = 60.0


def guest(name: str, target: str) -> Path:
    """build/tests/test_<name>/test_<name>.<target>."""
    path = GUESTS / f"test_{name}" / f"test_{name}.{target}"
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2` (scripts/test does)"
    return path


def base_config(args: Sequence[str], **changes: Any) -> dict[str, Any]:
    """A config.json as podman writes it, cut to what matters here."""
    config: dict[str, Any] = {
        "ociVersion": "1.0.2",
        "process": {"args": list(args), "user": {"uid": 0, "gid": 0}, "cwd": "/"},
        "root": {"path": "rootfs"},
        "hostname": "unikernel",
        "linux": {
            "namespaces": [
                {"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")
            ],
            "resources": {"pids": {"limit": 64}},
        },
    }
    for key, value in changes.items():
        if key in ("namespaces", "resources", "uidMappings", "seccomp"):
            config["linux"][key] = value
        else:
            config[key] = value
    return config


def make_bundle(where: Path, files: dict[str, Path | bytes], config: dict[str, Any]) -> Path:
    """A bundle directory: rootfs/ holding `files` (container path -> a file
    to copy or bytes), config.json."""
    rootfs = where / "rootfs"
    rootfs.mkdir(parents=True)
    for inside, content in files.items():
        target = rootfs / inside.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content, target)
    (where / "config.json").write_text(json.dumps(config))
    return where


@dataclass(frozen=True)
class Result:
    argv: list[str]
    status: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"$ {' '.join(self.argv)}\nstatus {self.status}\n{self.stdout}{self.stderr}"


@dataclass(frozen=True)
class Runtime:
    """solo5-oci with a private --root."""

    root: Path
    cgroup_parent: str  # under which the tests put containers' cgroups

    def argv(self, *args: str) -> list[str]:
        return [str(RUNTIME), "--root", str(self.root), *args]

    def run(self, *args: str, timeout: float = TIMEOUT) -> Result:
        argv = self.argv(*args)
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return Result(argv, proc.returncode, proc.stdout, proc.stderr)

    def state(self, container_id: str) -> dict[str, Any]:
        result = self.run("state", container_id)
        assert result.status == 0, result.describe()
        state: dict[str, Any] = json.loads(result.stdout)
        return state

    def cgroup(self, container_id: str) -> str:
        return f"{self.cgroup_parent}/{container_id}"


@dataclass
class Container:
    """A container created through reaper.py; `exited()` waits for its end."""

    runtime: Runtime
    id: str
    out: Path
    reaper: subprocess.Popen[bytes]

    def created_status(self) -> int:
        return int(_wait_for(self.out / "created"))

    @property
    def stdout(self) -> str:
        return (self.out / "stdout").read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return (self.out / "stderr").read_text(errors="replace")

    def exited(self, timeout: float = TIMEOUT) -> int:
        self.reaper.wait(timeout=timeout)
        return int(_wait_for(self.out / "exited", 1.0))

    def wait_output(self, text: str, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stdout:
            assert time.monotonic() < deadline, f"no {text!r} in\n{self.stdout}{self.stderr}"
            time.sleep(0.02)


def _wait_for(path: Path, timeout: float = TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.005)
    return path.read_text()


@contextmanager
def created(
    runtime: Runtime,
    bundle: Path,
    *create_args: str,
    global_args: Sequence[str] = (),
    cgroups_path: str | None = None,
) -> Iterator[Container]:
    """`create` run by reaper.py; deleted (--force) afterwards.  The cgroup
    is runtime.cgroup(ID) unless `cgroups_path` (with {id}) says otherwise."""
    container_id = f"c-{uuid.uuid4().hex[:12]}"
    config = json.loads((bundle / "config.json").read_text())
    config.setdefault("linux", {})["cgroupsPath"] = (
        cgroups_path.format(id=container_id) if cgroups_path else runtime.cgroup(container_id)
    )
    (bundle / "config.json").write_text(json.dumps(config))
    out = bundle.parent / f"{container_id}.out"
    out.mkdir()
    argv = runtime.argv(
        *global_args,
        "create",
        "--bundle",
        str(bundle),
        "--pid-file",
        str(out / "pid"),
        *create_args,
        container_id,
    )
    reaper = subprocess.Popen(
        [sys.executable, str(REAPER), str(out), *argv], stdin=subprocess.DEVNULL
    )
    container = Container(runtime, container_id, out, reaper)
    try:
        yield container
    finally:
        runtime.run("delete", "--force", container_id)
        try:
            reaper.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            reaper.kill()
            reaper.wait()


def cgroup_dirs(path: str) -> list[Path]:
    """The directories of cgroup `path` in every hierarchy mounted."""
    return [d / path.lstrip("/") for d in CGROUP_ROOT.iterdir() if (d / path.lstrip("/")).exists()]


def assert_nothing_left(runtime: Runtime, container_id: str) -> None:
    assert not (runtime.root / container_id).exists(), "the state directory is left"
    left = cgroup_dirs(runtime.cgroup(container_id))
    assert not left, f"cgroups left: {left}"


def one_error_line(result: Result, message: str) -> None:
    """A failure: status 1, one line on stderr, `solo5-oci: ` + message."""
    assert result.status == 1, result.describe()
    assert result.stderr.count("\n") == 1, result.describe()
    assert result.stderr.startswith("solo5-oci: "), result.describe()
    assert message in result.stderr, result.describe()


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)
