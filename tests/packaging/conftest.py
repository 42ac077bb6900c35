"""Fixtures of the packaging suite: an installed prefix and a user's environment.

Everything here runs as a user of an installed Solo5 would: outside the
checkout, with only <prefix>/bin (and the system) on PATH, no virtualenv and
no PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent.parent
STAGE = TOP / "build" / "stage"
TRIPLE = "x86_64-solo5-none-static"
SYSTEM_PATH = "/usr/bin:/bin"


def run(
    argv: Sequence[str | os.PathLike[str]],
    cwd: Path,
    env: Mapping[str, str],
    status: int | None = 0,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run `argv`; unless `status` is None, fail with a full account if it exits otherwise."""
    args = [os.fspath(a) for a in argv]
    proc = subprocess.run(
        args, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout,
        check=False,
    )
    if status is not None:
        assert proc.returncode == status, (
            f"$ {' '.join(args)}  (in {cwd})\nexit status {proc.returncode}, "
            f"expected {status}\n{proc.stdout}{proc.stderr}"
        )
    return proc


def user_env(prefix: Path, **extra: str) -> dict[str, str]:
    """A user with the installed Solo5's bin/ first on PATH, and nothing else of ours."""
    return {"PATH": f"{prefix}/bin:{SYSTEM_PATH}", "LC_ALL": "C", "HOME": "/nonexistent",
            **extra}


def kvm_usable() -> str | None:
    """None if /dev/kvm can be opened read-write, else why not."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return f"/dev/kvm: {e.strerror}"
    os.close(fd)
    return None


def skip_unless_runnable(prefix: Path, target: str) -> None:
    """Skip (with the reason) a run on hvt where this host cannot run it."""
    if target != "hvt":
        return
    if not (prefix / "bin" / "solo5-hvt").is_file():
        pytest.skip("solo5-hvt is not built on this host")
    why = kvm_usable()
    if why:
        pytest.skip(f"cannot run hvt guests: {why}")


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prefix filled by `scons install PREFIX=<it>` from the current build."""
    if not (STAGE / "bin").is_dir():
        pytest.fail(f"{STAGE} is not built: run `scons -j2` first")
    scons = shutil.which("scons")
    assert scons, "scons is not on PATH: source scripts/ensure-env.sh first"
    prefix = tmp_path_factory.mktemp("installed") / "solo5"
    proc = subprocess.run(
        [scons, "-Q", "install", f"PREFIX={prefix}"],
        cwd=TOP, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, f"scons install failed:\n{proc.stdout}{proc.stderr}"
    return prefix


def run_unikernel(
    prefix: Path, kernel: Path, target: str, args: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `kernel` on the installed tender of `target` (2 MiB of memory)."""
    skip_unless_runnable(prefix, target)
    tender = prefix / "bin" / f"solo5-{target}"
    return run([tender, "--mem=2", kernel, *args], kernel.parent, user_env(prefix),
               status=None, timeout=60)


def check_hello(proc: subprocess.CompletedProcess[str], args: str) -> None:
    """What examples/hello prints and returns."""
    account = f"{proc.args}: exit status {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert proc.returncode == 0, account
    assert "Hello from a Solo5 unikernel!\n" in proc.stdout, account
    assert f"Command line: '{args}'\n" in proc.stdout, account
    assert "Solo5: solo5_exit(0) called" in proc.stdout, account
