"""The memory cgroup check's fast path (tenders/common/tender_memlimit_fast.c).

The tenders skip /proc/self/mountinfo where the conventional mount point is
proved to show the hierarchy's root: the tender in the initial cgroup
namespace, the path without a symlink, a cgroup (v1) or cgroup2 file system
there, its root cgroup (v1: cgroup.sane_behavior; v2: no cgroup.events) and,
for v1, the memory controller's hierarchy (memory.stat). Each case runs
build/tests/unit/tender_memlimit_check in a layout made in a mount namespace
of its own: "limit" runs the check as the tenders do and then through
mountinfo alone, and must find the same limit both ways, taking the fast path
only where the proof holds; "roots" shows the proofs themselves (the v2 ones
too: the memory controller is v1's on this kind of host, so no v2 limit is
ever found here). The tenders' own refusals in such layouts are in
test_memory_limit.py.
"""

from __future__ import annotations

import shlex
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from support.paths import unit_program

from .helpers import (
    CGROUP_MEMORY,
    in_mount_namespace,
    need_root,
    nested_memory_cgroup,
    remove_cgroup,
)

MIB = 1 << 20
LIMIT = 64 * MIB
UNIFIED = Path("/sys/fs/cgroup/unified")


@pytest.fixture(scope="module")
def harness() -> Path:
    return unit_program("tender_memlimit_check")


def lines_of(argv: Sequence[str | Path]) -> list[str]:
    r = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=30, check=False
    )
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return r.stdout.splitlines()


def check_limit(
    harness: Path, setup: list[str], child: str, wrap: Sequence[str] = ()
) -> tuple[str, str, str]:
    """The harness's "limit" in `child` after `setup` (in a mount namespace of
    its own): (the way taken, the file the check names, mountinfo's), after
    asserting both found LIMIT."""
    procs = CGROUP_MEMORY / child.lstrip("/") / "cgroup.procs"
    way, check, slow = lines_of(in_mount_namespace(procs, setup, [*wrap, harness, "limit"]))
    assert check.split(" ", 1)[0] == slow.split(" ", 1)[0] == str(LIMIT), (way, check, slow)
    return way, check.split(" ", 1)[1], slow.split(" ", 1)[1]


def stat_of(base: str) -> str:
    return f"{base}/memory.stat (hierarchical_memory_limit)"


def test_the_hosts_layout_takes_the_fast_path(harness: Path) -> None:
    with nested_memory_cgroup(LIMIT) as (_, child):
        way, check, slow = check_limit(harness, [], child)
    assert way == "fast"
    assert check == slow == stat_of(f"{CGROUP_MEMORY}{child}")


def test_a_cgroup_namespace_goes_through_mountinfo(harness: Path) -> None:
    """In a cgroup namespace /proc/self/cgroup's paths start at its root:
    "/" here. (mountinfo's first mount then shows a root outside the
    namespace, "/../..", which the check does not take off: it reads the
    hierarchy's root, and finds no limit; both ways agree on that.)"""
    with nested_memory_cgroup(LIMIT) as (_, child):
        procs = CGROUP_MEMORY / child.lstrip("/") / "cgroup.procs"
        wrap: list[str | Path] = ["unshare", "--cgroup", harness, "limit"]
        way, check, slow = lines_of(in_mount_namespace(procs, [], wrap))
    assert way == "mountinfo" and check == slow, (way, check, slow)


# Layouts at the conventional mount point that the fast path must not trust:
# the setup commands and the directory the limit is then found through, with
# {h} and {other} two empty directories and {parent} the limited cgroup
# (the tender's is {parent}/inner).
LAYOUTS = {
    # A container's view: a subtree of the hierarchy (no cgroup.sane_behavior).
    "subtree": (
        [
            "mount -t cgroup -o memory solo5-test {h}",
            "umount /sys/fs/cgroup/memory",
            "mount --bind {h}{parent} /sys/fs/cgroup/memory",
            "umount {h}",
        ],
        "/sys/fs/cgroup/memory/inner",
    ),
    # Another file system there; the hierarchy mounted elsewhere.
    "tmpfs": (
        [
            "umount /sys/fs/cgroup/memory",
            "mount -t cgroup -o memory solo5-test {h}",
            "mount -t tmpfs -o size=4k solo5-test /sys/fs/cgroup/memory",
        ],
        "{h}{parent}/inner",
    ),
    # The root of another v1 hierarchy (cpu): cgroup.sane_behavior, no memory.stat.
    "another-hierarchy": (
        [
            "umount /sys/fs/cgroup/memory",
            "mount -t cgroup -o memory solo5-test {h}",
            "mount --bind /sys/fs/cgroup/cpu /sys/fs/cgroup/memory",
        ],
        "{h}{parent}/inner",
    ),
    # /sys/fs/cgroup/memory a symlink to the hierarchy's mount.
    "symlink": (
        [
            "umount /sys/fs/cgroup/memory",
            "mount -t tmpfs -o size=4k solo5-test /sys/fs/cgroup",
            "mkdir /sys/fs/cgroup/real",
            "mount -t cgroup -o memory solo5-test /sys/fs/cgroup/real",
            "ln -s real /sys/fs/cgroup/memory",
        ],
        "/sys/fs/cgroup/real{parent}/inner",
    ),
    # A symlink further up: /sys/fs/cgroup -> {other}.
    "symlink-above": (
        [
            "umount /sys/fs/cgroup/memory",
            "mkdir {other}/memory",
            "mount -t cgroup -o memory solo5-test {other}/memory",
            "mount -t tmpfs -o size=4k solo5-test /sys/fs",
            "ln -s {other} /sys/fs/cgroup",
        ],
        "{other}/memory{parent}/inner",
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_the_fast_path_must_not_trust(harness: Path, tmp_path: Path, layout: str) -> None:
    commands, found_at = LAYOUTS[layout]
    h, other = tmp_path / "hierarchy", tmp_path / "other"
    h.mkdir()
    other.mkdir()
    with nested_memory_cgroup(LIMIT) as (parent, child):
        names = {"h": h, "other": other, "parent": parent}
        setup = [c.format(**names) for c in commands]
        way, check, slow = check_limit(harness, setup, child)
        expected = stat_of(found_at.format(**names))
    assert way == "mountinfo"
    assert check == slow == expected


def test_a_second_mount_of_the_root_names_another_file(harness: Path, tmp_path: Path) -> None:
    """The one difference docs/compatibility.md tells of: the hierarchy's
    root mounted elsewhere before /sys/fs/cgroup/memory. Both mounts show the
    same cgroup, so the limit is the same; the fast path names the file
    through the conventional mount point, mountinfo through its first."""
    h = tmp_path / "hierarchy"
    h.mkdir()
    setup = [
        "umount /sys/fs/cgroup/memory",
        f"mount -t cgroup -o memory solo5-test {h}",
        "mount -t cgroup -o memory solo5-test /sys/fs/cgroup/memory",
    ]
    with nested_memory_cgroup(LIMIT) as (_, child):
        way, check, slow = check_limit(harness, setup, child)
    assert way == "fast"
    assert (check, slow) == (stat_of(f"{CGROUP_MEMORY}{child}"), stat_of(f"{h}{child}"))


@pytest.mark.parametrize("holds", ["the-tenders-cgroup", "another-cgroup"])
def test_a_subtree_mounted_before_the_root(harness: Path, tmp_path: Path, holds: str) -> None:
    """mountinfo's first mount of the hierarchy a subtree, the root mounted
    after it at /sys/fs/cgroup/memory: the fast path reads through the root.
    Where the subtree holds the tender's cgroup, both find the same file
    (named through either mount); where it does not, mountinfo's way looks
    for the tender's cgroup inside the subtree, finds no such directory and
    no limit, and the fast path finds the limit the kernel enforces
    (docs/compatibility.md)."""
    h, sub = tmp_path / "hierarchy", tmp_path / "subtree"
    h.mkdir()
    sub.mkdir()
    with nested_memory_cgroup(LIMIT) as (parent, child):
        other = CGROUP_MEMORY / parent.lstrip("/") / "other"
        other.mkdir()
        try:
            bound = child if holds == "the-tenders-cgroup" else f"{parent}/other"
            setup = [
                "umount /sys/fs/cgroup/memory",
                f"mount -t cgroup -o memory solo5-test {h}",
                f"mount --bind {h}{bound} {sub}",
                f"umount {h}",
                "mount -t cgroup -o memory solo5-test /sys/fs/cgroup/memory",
            ]
            procs = CGROUP_MEMORY / child.lstrip("/") / "cgroup.procs"
            way, check, slow = lines_of(in_mount_namespace(procs, setup, [harness, "limit"]))
        finally:
            remove_cgroup(other)
    assert way == "fast"
    assert check == f"{LIMIT} {stat_of(f'{CGROUP_MEMORY}{child}')}"
    if holds == "the-tenders-cgroup":
        assert slow == f"{LIMIT} {stat_of(str(sub))}"
    else:
        assert slow.startswith("none"), slow


def with_cgroup_file(harness: Path, text: str, setup: Sequence[str] = ()) -> list[str]:
    """The harness's "limit" with `text` mounted over its /proc/self/cgroup
    (the shell's, which exec keeps), after `setup`."""
    need_root()
    script = "\n".join([
        "set -e",
        f"printf %s {shlex.quote(text)} > /tmp/solo5-test-cgroup-$$",
        "mount --bind /tmp/solo5-test-cgroup-$$ /proc/$$/cgroup",
        "rm /tmp/solo5-test-cgroup-$$",
        *setup,
        f"exec {harness} limit",
    ])  # fmt: skip
    return lines_of(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])


def test_a_named_hierarchy_called_memory_goes_through_mountinfo(harness: Path) -> None:
    """A line for a named v1 hierarchy whose name holds "memory" before the
    memory controller's: the check takes the first (as it always did), and
    the fast path, which proves only the memory controller's mount point,
    leaves it to mountinfo."""
    if not CGROUP_MEMORY.is_dir():
        pytest.skip("no cgroup v1 memory controller here")
    way, check, slow = with_cgroup_file(harness, "12:name=memoryless:/\n4:memory:/\n0::/\n")
    assert way == "mountinfo" and check == slow


def test_v2_alone_takes_the_fast_path(harness: Path) -> None:
    """A tender with a v2 path only (as on a v2 host): the v2 mount point's
    proof decides; a mount of a subtree there goes through mountinfo."""
    if not (UNIFIED / "cgroup.controllers").is_file():
        pytest.skip("no cgroup2 hierarchy at /sys/fs/cgroup/unified")
    way, check, slow = with_cgroup_file(harness, "0::/\n")
    assert way == "fast" and check == slow
    subtree = next((p for p in UNIFIED.iterdir() if p.is_dir()), None)
    if subtree is None:
        pytest.skip("no child cgroup in the v2 hierarchy")
    way, check, slow = with_cgroup_file(harness, "0::/\n", [f"mount --bind {subtree} {UNIFIED}"])
    assert way == "mountinfo" and check == slow


def roots(harness: Path, setup: Sequence[str], wrap: Sequence[str] = ()) -> dict[str, str]:
    need_root()
    script = "\n".join(["set -e", *setup, f"exec {shlex.join([*wrap, str(harness), 'roots'])}"])
    out = lines_of(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    return dict(line.split(" ", 1) for line in out)


def roots_in_cgroupns(harness: Path, procs: Path, mnt: Path, mount: str) -> dict[str, str]:
    """The harness's "roots" after moving into the cgroup of `procs`, then
    into a cgroup namespace (rooted there) and a mount namespace, where the
    hierarchy at mnt is mounted again by `mount` (the namespace's view)."""
    inner = f"umount {mnt} && {mount} {mnt} && exec {harness} roots"
    unshare = "unshare --cgroup --mount --propagation private sh -c"
    found = lines_of(["sh", "-c", f"echo $$ > {procs} && exec {unshare} {shlex.quote(inner)}"])
    return dict(line.split(" ", 1) for line in found)


def test_the_proofs_on_this_host(harness: Path) -> None:
    found = roots(harness, [])
    assert found["ns"] == "initial"
    if (CGROUP_MEMORY / "cgroup.sane_behavior").is_file() and (
        CGROUP_MEMORY / "memory.stat"
    ).is_file():
        assert found["v1"] == str(CGROUP_MEMORY)
    if (UNIFIED / "cgroup.controllers").is_file():
        assert found["v2"] == str(UNIFIED)
    assert roots(harness, [], ["unshare", "--cgroup"])["ns"] == "other"


def test_v2_proofs(harness: Path) -> None:
    """cgroup2 at /sys/fs/cgroup (a v2 host's layout) is proved; a tmpfs at
    /sys/fs/cgroup/unified, a subtree there, or a mount made in a cgroup
    namespace whose root is a child cgroup are not."""
    if not (UNIFIED / "cgroup.controllers").is_file():
        pytest.skip("no cgroup2 hierarchy at /sys/fs/cgroup/unified")
    assert roots(harness, ["mount -t cgroup2 solo5-test /sys/fs/cgroup"])["v2"] == "/sys/fs/cgroup"
    tmpfs = f"mount -t tmpfs -o size=4k solo5-test {UNIFIED}"
    assert roots(harness, [tmpfs])["v2"] == "-"
    child = UNIFIED / f"solo5-test-{uuid.uuid4().hex[:8]}"
    child.mkdir()
    try:
        assert roots(harness, [f"mount --bind {child} {UNIFIED}"])["v2"] == "-"
        found = roots_in_cgroupns(
            harness, child / "cgroup.procs", UNIFIED, "mount -t cgroup2 solo5-test"
        )
        assert found == {
            "ns": "other",
            "v1": str(CGROUP_MEMORY) if (CGROUP_MEMORY / "memory.stat").is_file() else "-",
            "v2": "-",
        }
    finally:
        remove_cgroup(child)


def test_v1_proofs(harness: Path, tmp_path: Path) -> None:
    """The memory hierarchy's root at /sys/fs/cgroup/memory is proved; a
    subtree of it, another hierarchy's root, or a mount made in a cgroup
    namespace whose root is a child cgroup are not."""
    if not (CGROUP_MEMORY / "memory.stat").is_file():
        pytest.skip("no cgroup v1 memory controller here")
    assert roots(harness, ["mount --bind /sys/fs/cgroup/cpu /sys/fs/cgroup/memory"])["v1"] == "-"
    with nested_memory_cgroup(LIMIT) as (parent, child):
        bind = f"mount --bind {CGROUP_MEMORY}{parent} {CGROUP_MEMORY}"
        assert roots(harness, [bind])["v1"] == "-"
        procs = CGROUP_MEMORY / child.lstrip("/") / "cgroup.procs"
        mount = "mount -t cgroup -o memory solo5-test"
        found = roots_in_cgroupns(harness, procs, CGROUP_MEMORY, mount)
        assert (found["ns"], found["v1"]) == ("other", "-"), found
