"""The container's cgroup: hierarchies from mountinfo, what is written where,
and create/remove on a cgroup-like tree in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from solo5_oci import cgroups
from solo5_oci.cgroups import Cgroup, Hierarchy, create, hierarchies, own_cgroup, remove, settings
from solo5_oci.spec import Resources

HYBRID = """\
24 1 0:21 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
25 24 0:22 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
26 24 0:23 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
27 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
28 24 0:25 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
29 24 0:23 / /mnt/memory-again rw,relatime - cgroup cgroup rw,memory
30 1 0:26 / /proc rw - proc proc rw
"""


def test_hierarchies() -> None:
    found = hierarchies(HYBRID)
    assert [(h.mountpoint, h.version) for h in found] == [
        ("/sys/fs/cgroup/unified", 2),
        ("/sys/fs/cgroup/memory", 1),
        ("/sys/fs/cgroup/cpu,cpuacct", 1),
        ("/sys/fs/cgroup/systemd", 1),
    ]
    assert found[2].controllers == {"cpu", "cpuacct"}
    assert found[3].controllers == {"xattr", "name=systemd"}


LIMITS = Resources(
    memory_limit=64 << 20,
    pids_limit=100,
    cpu_shares=512,
    cpu_quota=50000,
    cpu_period=100000,
    cpuset_cpus="0",
    cpuset_mems="0",
)


def test_v1_settings() -> None:
    def of(controllers: str) -> list[tuple[str, str]]:
        return settings(
            LIMITS, ["c 10:232 rwm"], Hierarchy("/x", 1, frozenset(controllers.split()))
        )

    assert of("memory") == [("memory.limit_in_bytes", str(64 << 20))]
    assert of("pids") == [("pids.max", "100")]
    assert of("cpu cpuacct") == [
        ("cpu.shares", "512"),
        ("cpu.cfs_period_us", "100000"),
        ("cpu.cfs_quota_us", "50000"),
    ]
    assert of("devices") == [("devices.deny", "a"), ("devices.allow", "c 10:232 rwm")]
    assert of("name=systemd") == []


def test_v2_settings() -> None:
    v2 = Hierarchy("/x", 2, frozenset())
    assert settings(LIMITS, [], v2) == []  # no controllers (a hybrid host's unified)
    got = settings(LIMITS, ["c 10:232 rwm"], v2, frozenset({"memory", "pids", "cpu"}))
    assert got == [
        ("memory.max", str(64 << 20)),
        ("pids.max", "100"),
        ("cpu.weight", "20"),
        ("cpu.max", "50000 100000"),
    ]


def test_own_cgroup() -> None:
    text = "4:memory:/a/b\n1:name=systemd:/s\n0::/u\n"
    assert own_cgroup(text, Hierarchy("/m", 1, frozenset({"memory"}))) == "/a/b"
    assert own_cgroup(text, Hierarchy("/u", 2, frozenset())) == "/u"
    assert own_cgroup(text, Hierarchy("/p", 1, frozenset({"pids"}))) == "/"


@pytest.fixture(autouse=True)
def files_appear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain directories stand for cgroupfs: writing makes the file that the
    kernel would have made with the directory."""

    def write(path: str, value: str) -> None:
        Path(path).write_text(value)

    def read(path: str) -> str:  # a new cgroup's files exist, empty
        return Path(path).read_text().strip() if Path(path).exists() else ""

    monkeypatch.setattr(cgroups, "_write", write)
    monkeypatch.setattr(cgroups, "_read", read)


def fake_tree(tmp_path: Path) -> str:
    """Two v1 hierarchies (memory, cpuset) as plain directories; a mountinfo for them."""
    for name in ("memory", "cpuset", "cpuset/existing"):
        (tmp_path / name).mkdir()
        if name.startswith("cpuset"):
            (tmp_path / name / "cpuset.cpus").write_text("0-1\n")
            (tmp_path / name / "cpuset.mems").write_text("0\n")
    return "".join(
        f"{i} 1 0:{i} / {tmp_path}/{name} rw - cgroup cgroup rw,{name}\n"
        for i, name in enumerate(("memory", "cpuset"), start=30)
    )


def test_create_and_remove(tmp_path: Path) -> None:
    mountinfo = fake_tree(tmp_path)
    made = create("/existing/c1", Resources(memory_limit=1 << 30), [], mountinfo, "")
    assert made.leaves == (f"{tmp_path}/memory/existing/c1", f"{tmp_path}/cpuset/existing/c1")
    # Created directories are listed deepest first; cpuset/existing was there.
    assert made.created == (
        f"{tmp_path}/cpuset/existing/c1",
        f"{tmp_path}/memory/existing/c1",
        f"{tmp_path}/memory/existing",
    )
    assert (tmp_path / "memory/existing/c1/memory.limit_in_bytes").read_text() == str(1 << 30)
    # A new cpuset cgroup gets its parent's CPUs and memory nodes.
    assert (tmp_path / "cpuset/existing/c1/cpuset.cpus").read_text() == "0-1"
    for leaf in made.leaves:  # what the kernel would have removed with the cgroup
        for f in Path(leaf).iterdir():
            f.unlink()
    remove(made)
    assert not (tmp_path / "memory/existing").exists()
    assert (tmp_path / "cpuset/existing").is_dir()  # not ours: kept


def test_empty_cpuset_parent_is_filled(tmp_path: Path) -> None:
    """A parent another create made but has not filled yet gets filled."""
    mountinfo = fake_tree(tmp_path)
    (tmp_path / "cpuset" / "racing").mkdir()
    create("/racing/c4", Resources(), [], mountinfo, "")
    assert (tmp_path / "cpuset/racing/cpuset.cpus").read_text() == "0-1"
    assert (tmp_path / "cpuset/racing/c4/cpuset.cpus").read_text() == "0-1"


def test_cpuset_copied_from_parent(tmp_path: Path) -> None:
    made = create("/c2", Resources(), [], fake_tree(tmp_path), "")
    assert (tmp_path / "cpuset/c2/cpuset.cpus").read_text() == "0-1"
    assert (tmp_path / "cpuset/c2/cpuset.mems").read_text() == "0"
    assert Cgroup(made.leaves, made.created).procs() == []


def test_relative_path_is_under_our_own(tmp_path: Path) -> None:
    made = create("c3", Resources(), [], fake_tree(tmp_path), "5:memory:/mine\n")
    assert made.leaves[0] == f"{tmp_path}/memory/mine/c3"
