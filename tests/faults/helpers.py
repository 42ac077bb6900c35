"""What the fault tests share: host-side faults made and undone by the test
(a small tmpfs, a FUSE file that fails on demand, a memory cgroup), the
block guest's report, and processes started and watched line by line.

Everything a test sets up lives under its own tmp_path or cgroup and is
removed again, whatever the outcome."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from devices.helpers import block_pattern
from support.guest import TOP, guest_path, tender

FAULTFS_SOURCE = TOP / "tests" / "faults" / "faultfs.c"
CGROUP_MEMORY = Path("/sys/fs/cgroup/memory")
BLOCK_TAG = 4000000  # test_blk_fault's pattern: block b is tagged b + TAG


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs or FUSE, and cgroups, need root")


@contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (mount's size= syntax) mounted at `where`."""
    need_root()
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@contextmanager
def faultfs(tmp: Path, backing: Path) -> Iterator[Path]:
    """tests/faults/faultfs.c mounted over `backing`: yields the mount point,
    whose `disk` is backing and whose `ctl` sets the failing range."""
    need_root()
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "fuse3"], capture_output=True, text=True, check=False
    )
    if flags.returncode != 0:
        pytest.skip("libfuse3-dev is not installed (scripts/ensure-env.sh installs it for tests)")
    program = tmp / "faultfs"
    subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror",
         "-o", str(program), str(FAULTFS_SOURCE), *flags.stdout.split()],
        check=True,
    )  # fmt: skip
    mount = tmp / "faultfs.mnt"
    mount.mkdir()
    proc = subprocess.Popen([program, str(mount), str(backing)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not (mount / "disk").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "faultfs did not mount"
            time.sleep(0.05)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        proc.terminate()
        proc.wait(timeout=10)


def own_memory_cgroup() -> str:
    """This process's memory cgroup (v1), as a path from the hierarchy's root
    ("/..."); skips the test where there is none at CGROUP_MEMORY."""
    need_root()
    own = next(
        (line.split(":", 2)[2] for line in Path("/proc/self/cgroup").read_text().splitlines()
         if line.split(":")[1] == "memory"),
        None,
    )  # fmt: skip
    if own is None or not (CGROUP_MEMORY / own.lstrip("/")).is_dir():
        pytest.skip("no cgroup v1 memory controller here")
    return own


def remove_cgroup(group: Path) -> None:
    """rmdir, retried while the last process that was in it is still exiting."""
    for _ in range(50):
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.1)


@contextmanager
def memory_cgroup(limit: int) -> Iterator[Path]:
    """A memory cgroup (v1) below this process's own, limited to `limit` bytes:
    yields its cgroup.procs, into which a child writes its own pid."""
    group = CGROUP_MEMORY / own_memory_cgroup().lstrip("/") / f"solo5-test-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(limit))
        yield group / "cgroup.procs"
    finally:
        remove_cgroup(group)


@contextmanager
def nested_memory_cgroup(limit: int) -> Iterator[tuple[str, str]]:
    """A memory cgroup (v1) below this process's own, limited to `limit` bytes,
    and an unlimited one inside it: yields both as paths from the hierarchy's
    root (the inner one's cgroup.procs is CGROUP_MEMORY/<inner>/cgroup.procs)."""
    parent = f"{own_memory_cgroup().rstrip('/')}/solo5-test-{uuid.uuid4().hex[:8]}"
    child = f"{parent}/inner"
    (CGROUP_MEMORY / parent.lstrip("/")).mkdir()
    try:
        (CGROUP_MEMORY / parent.lstrip("/") / "memory.limit_in_bytes").write_text(str(limit))
        (CGROUP_MEMORY / child.lstrip("/")).mkdir()
        try:
            yield parent, child
        finally:
            remove_cgroup(CGROUP_MEMORY / child.lstrip("/"))
    finally:
        remove_cgroup(CGROUP_MEMORY / parent.lstrip("/"))


def in_cgroup(procs: Path, argv: Sequence[str | os.PathLike[str]]) -> list[str]:
    """argv run by a shell that first moves itself into the cgroup."""
    command = " ".join(shlex.quote(str(a)) for a in argv)
    return ["sh", "-c", f"echo $$ > {shlex.quote(str(procs))} && exec {command}"]


def in_mount_namespace(
    procs: Path, setup: Sequence[str], argv: Sequence[str | os.PathLike[str]]
) -> list[str]:
    """argv run by a shell in a mount namespace of its own (private: nothing
    it mounts or unmounts reaches the host's), which first moves itself into
    the cgroup, then runs the `setup` commands (any failing ends it). The
    namespace, and every mount in it, goes when the process ends."""
    command = " ".join(shlex.quote(str(a)) for a in argv)
    enter = f"echo $$ > {shlex.quote(str(procs))}"
    script = "\n".join(["set -e", enter, *setup, f"exec {command}"])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


# "hvt-hypercalls": solo5-hvt running the upstream-style build of a guest
# (build/tests/legacy/, tests/hvt/test_hvt_legacy.py), which uses no I/O
# ring: its devices go through the hypercalls.
HYPERCALLS = "hvt-hypercalls"


def kernel(variant: str, guest: str) -> tuple[Path, Path]:
    """(tender binary, unikernel) for a test variant: a tender's name, or
    HYPERCALLS."""
    if variant == HYPERCALLS:
        path = guest_path(guest, "hvt").parent.parent / "legacy" / f"{guest}.hvt"
        assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
        return tender("hvt").binary, path
    return tender(variant).binary, guest_path(guest, variant)


def block_argv(variant: str, guest: str, image: Path, args: Sequence[str] = ()) -> list[str]:
    binary, unikernel = kernel(variant, guest)
    return [str(binary), "--mem=2", f"--block:storage={image}", str(unikernel), *args]


@dataclass
class Watched:
    """A process whose stdout is read line by line as it comes."""

    proc: subprocess.Popen[bytes]
    lines: list[str]

    def wait_for(self, text: str, timeout: float = 30) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            line = self.proc.stdout.readline()
            assert line, f"ended before printing {text!r}:\n{self.output()}"
            self.lines.append(line.decode(errors="replace"))
            assert time.monotonic() < deadline, f"no {text!r} in time:\n{self.output()}"

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """(status as a shell reports it, stdout, stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        self.lines.append(out.decode(errors="replace"))
        code = self.proc.returncode
        return (128 - code if code < 0 else code), self.output(), err.decode(errors="replace")

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def output(self) -> str:
        return "".join(self.lines)


@contextmanager
def watched(argv: Sequence[str | os.PathLike[str]]) -> Iterator[Watched]:
    proc = subprocess.Popen(
        [os.fspath(a) for a in argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield Watched(proc, [])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


@dataclass(frozen=True)
class BlockReport:
    """test_blk_fault's lines: per block, what the write and the read got."""

    writes: dict[int, str]
    reads: dict[int, str]
    success: bool

    @staticmethod
    def parse(out: str) -> BlockReport:
        writes = {int(b): r for b, r in re.findall(r"^w (\d+) (\w+)$", out, re.M)}
        reads = {int(b): r for b, r in re.findall(r"^r (\d+) (\w+)$", out, re.M)}
        return BlockReport(writes, reads, "SUCCESS" in out)

    def acked(self) -> list[int]:
        return [b for b, r in self.writes.items() if r == "ok"]


def check_acked_blocks(image: Path, acked: Sequence[int], bs: int = 512) -> None:
    """Every acknowledged block holds its pattern in the file."""
    with open(image, "rb") as f:
        for b in acked:
            f.seek(b * bs)
            assert f.read(bs) == block_pattern(b + BLOCK_TAG, bs), f"acknowledged block {b} lost"
