"""A memory cgroup limit below --mem (issue 14).

Guest memory is mapped lazily, so without a check a tender in a cgroup
whose limit is below --mem starts, and its guest is OOM-killed later,
whenever it first touches enough memory: in the middle of a write, say.
The tenders compare --mem (plus their own needs) with the limit of their
memory cgroup at start-up and refuse with one line; below the limit the
guest can use every page it was given.

The tenders find their memory cgroup's directory from /proc/self/mountinfo
(the first mount of the hierarchy: its mount point and the root it shows)
and /proc/self/cgroup (their path from the hierarchy's root), or without
mountinfo where the conventional mount point is proved to show the
hierarchy's root (test_memory_limit_fast.py). Besides the host's layout, the
cases below give the tender, in a mount namespace of its own, the layouts
that an unproved shortcut through the conventional mount point would get
wrong: a mount of a subtree there (a container's view), no mount there, a
symlink there, and the hierarchy's mount after many others, some of whose
lines are longer than the tender's line buffer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.guest import guest_path, run, tender, tenders_under_test

from .helpers import (
    CGROUP_MEMORY,
    in_cgroup,
    in_mount_namespace,
    memory_cgroup,
    nested_memory_cgroup,
)

TENDERS = tenders_under_test()
MIB = 1 << 20


@pytest.mark.parametrize("tender_name", TENDERS)
def test_mem_above_the_cgroup_limit_is_refused_at_start(tender_name: str) -> None:
    t = tender(tender_name)
    with memory_cgroup(64 * MIB) as procs:
        argv = [t.binary, "--mem=128", guest_path("test_memfill", t.name)]
        result = run(in_cgroup(procs, argv))
    assert result.status == 1, result.describe()
    assert "memory cgroup" in result.stderr and "64 MiB" in result.stderr, result.describe()
    assert result.stderr.count("\n") == 1, result.describe()
    assert "Solo5 standalone" not in result.stdout, "the guest must not start"


@pytest.mark.parametrize("tender_name", TENDERS)
def test_guest_uses_all_its_memory_below_the_limit(tender_name: str) -> None:
    t = tender(tender_name)
    with memory_cgroup(64 * MIB) as procs:
        argv = [t.binary, "--mem=32", guest_path("test_memfill", t.name)]
        result = run(in_cgroup(procs, argv))
    assert result.status == 0 and "SUCCESS" in result.stdout, result.describe()


def refused_at_64_mib(tender_name: str, setup: list[str], child: str) -> str:
    """Runs a guest of 128 MiB in `child` (of nested_memory_cgroup(64 MiB)),
    after `setup` in a mount namespace of its own; returns the file that the
    refusal names."""
    t = tender(tender_name)
    argv = [t.binary, "--mem=128", guest_path("test_memfill", t.name)]
    procs = CGROUP_MEMORY / child.lstrip("/") / "cgroup.procs"
    result = run(in_mount_namespace(procs, setup, argv))
    assert result.status == 1, result.describe()
    assert result.stderr.count("\n") == 1, result.describe()
    assert "Solo5 standalone" not in result.stdout, "the guest must not start"
    head = "exceed the memory cgroup limit of 64 MiB ("
    assert head in result.stderr, result.describe()
    return result.stderr.split(head, 1)[1].split("): ", 1)[0]


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize("bound", ["parent", "inner"])
def test_limit_found_through_a_mount_of_a_subtree(
    tender_name: str, bound: str, tmp_path: Path
) -> None:
    """/sys/fs/cgroup/memory a mount of a subtree of the hierarchy (its root
    in mountinfo is not /), as in a container without a cgroup namespace: the
    tender's cgroup path is taken below that root. Mounted at the limited
    cgroup ("parent"), the tender's own cgroup is a directory below the mount
    point; mounted at the tender's own ("inner"), the limit is set above the
    mount's root and still counts (hierarchical_memory_limit)."""
    hierarchy = tmp_path / "hierarchy"
    hierarchy.mkdir()
    with nested_memory_cgroup(64 * MIB) as (parent, child):
        source = hierarchy / (parent if bound == "parent" else child).lstrip("/")
        setup = [
            f"mount -t cgroup -o memory solo5-test {hierarchy}",
            "umount /sys/fs/cgroup/memory",
            f"mount --bind {source} /sys/fs/cgroup/memory",
            f"umount {hierarchy}",
        ]
        where = refused_at_64_mib(tender_name, setup, child)
    seen = "/sys/fs/cgroup/memory" + ("/inner" if bound == "parent" else "")
    assert where == f"{seen}/memory.stat (hierarchical_memory_limit)"


def many_mounts(base: Path, count: int) -> list[str]:
    """Commands mounting `count` small tmpfs below base, one at a mount point
    of 4,090 characters; that one and every 20th have a source of 4,090
    characters (mountinfo lines of ~4,150 and ~8,230 bytes: longer than one of
    the tenders' 4,096-byte line buffers, and than two)."""
    deep, left = base, 4090 - len(str(base))
    while left > 1:
        deep, left = deep / ("d" * min(250, left - 1)), left - min(251, left)
    points = [deep] + [base / f"m{i}" for i in range(count - 1)]
    commands = [f"mkdir -p {p}" for p in points]
    for i, p in enumerate(points):
        source = "s" * (4090 if i % 20 == 0 else 10)
        commands.append(f"mount -t tmpfs -o size=4k {source} {p}")
    return commands


@pytest.mark.parametrize("tender_name", TENDERS)
@pytest.mark.parametrize("at", ["conventional", "elsewhere"])
def test_limit_found_after_many_mounts(tender_name: str, at: str, tmp_path: Path) -> None:
    """The hierarchy unmounted from /sys/fs/cgroup/memory and mounted again
    after 100 other mounts (mountinfo: ~35 KiB, long lines), where it was
    ("conventional") or only elsewhere (nothing at /sys/fs/cgroup/memory)."""
    mnt = "/sys/fs/cgroup/memory" if at == "conventional" else str(tmp_path / "memory")
    with nested_memory_cgroup(64 * MIB) as (_, child):
        setup = [
            "umount /sys/fs/cgroup/memory",
            *many_mounts(tmp_path / "mounts", 100),
            f"mkdir -p {mnt}",
            f"mount -t cgroup -o memory solo5-test {mnt}",
        ]
        where = refused_at_64_mib(tender_name, setup, child)
    assert where == f"{mnt}{child}/memory.stat (hierarchical_memory_limit)"


@pytest.mark.parametrize("tender_name", TENDERS)
def test_limit_found_through_a_symlink(tender_name: str) -> None:
    """/sys/fs/cgroup/memory a symlink to the hierarchy's mount (on a tmpfs
    of the namespace's own at /sys/fs/cgroup): not the fast path's
    (tender_memlimit_fast.c opens it without following symlinks), mountinfo
    finds the mount it leads to."""
    with nested_memory_cgroup(64 * MIB) as (_, child):
        setup = [
            "umount /sys/fs/cgroup/memory",
            "mount -t tmpfs -o size=4k solo5-test /sys/fs/cgroup",
            "mkdir /sys/fs/cgroup/real",
            "mount -t cgroup -o memory solo5-test /sys/fs/cgroup/real",
            "ln -s real /sys/fs/cgroup/memory",
        ]
        where = refused_at_64_mib(tender_name, setup, child)
    assert where == f"/sys/fs/cgroup/real{child}/memory.stat (hierarchical_memory_limit)"


@pytest.mark.parametrize("tender_name", TENDERS)
def test_limit_found_by_the_fast_path(tender_name: str) -> None:
    """The host's layout, /sys/fs/cgroup/memory the hierarchy's root: the
    refusal names the tender's own cgroup's memory.stat under it."""
    with nested_memory_cgroup(64 * MIB) as (_, child):
        where = refused_at_64_mib(tender_name, [], child)
    assert where == f"{CGROUP_MEMORY}{child}/memory.stat (hierarchical_memory_limit)"
