"""Container paths -> host paths: symbolic links never leave the rootfs or
the mount's source."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from solo5_oci.errors import OciError
from solo5_oci.rootfs import locate, read_small, resolve_in_root
from solo5_oci.spec import Mount


@pytest.fixture
def root(tmp_path: Path) -> Path:
    rootfs = tmp_path / "rootfs"
    (rootfs / "dir").mkdir(parents=True)
    (rootfs / "dir" / "file").write_text("x")
    os.symlink("/dir/file", rootfs / "abs")
    os.symlink("../../../../etc/passwd", rootfs / "dir" / "up")
    os.symlink("/etc/passwd", rootfs / "passwd")
    os.symlink("loop", rootfs / "loop")
    return rootfs


def test_plain(root: Path) -> None:
    assert resolve_in_root(str(root), "/dir/file") == f"{root}/dir/file"


def test_absolute_link_stays_inside(root: Path) -> None:
    assert resolve_in_root(str(root), "/abs") == f"{root}/dir/file"
    assert resolve_in_root(str(root), "/passwd") == f"{root}/etc/passwd"


def test_dotdot_stays_inside(root: Path) -> None:
    assert resolve_in_root(str(root), "/dir/up") == f"{root}/etc/passwd"
    assert resolve_in_root(str(root), "/../../x") == f"{root}/x"


def test_missing_is_kept(root: Path) -> None:
    assert resolve_in_root(str(root), "/no/such") == f"{root}/no/such"


def test_loop(root: Path) -> None:
    with pytest.raises(OciError, match="/loop: too many levels of symbolic links"):
        resolve_in_root(str(root), "/loop")


def test_bind_mount_file(root: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk.img"
    mounts = (Mount("/solo5/block/storage", str(disk), "bind", ("rbind",)),)
    found = locate(str(root), False, mounts, "/solo5/block/storage")
    assert found.path == str(disk) and found.origin == "the mount at /solo5/block/storage"


def test_bind_mount_directory(root: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.symlink("/../../outside", data / "link")
    mounts = (Mount("/data", str(data), "bind", ("bind", "ro")),)
    found = locate(str(root), False, mounts, "/data/link")
    assert found.path == f"{data}/outside" and found.readonly


def test_last_mount_wins(root: Path, tmp_path: Path) -> None:
    mounts = (Mount("/data", "/a", "bind"), Mount("/data", "/b", "bind"))
    assert locate(str(root), False, mounts, "/data/x").path == "/b/x"


def test_not_a_bind_mount(root: Path) -> None:
    mounts = (Mount("/dev", "tmpfs", "tmpfs", ("nosuid",)),)
    with pytest.raises(OciError) as error:
        locate(str(root), False, mounts, "/dev/disk")
    assert str(error.value) == (
        "/dev/disk: on the mount at /dev (type tmpfs), not in the rootfs or a bind mount"
    )


def test_relative(root: Path) -> None:
    with pytest.raises(OciError, match="expected an absolute path"):
        locate(str(root), False, (), "dir/file")


def test_read_small(root: Path) -> None:
    assert read_small(str(root), "/abs", 1) == b"x"
    assert read_small(str(root), "/nosuch/file", 1) is None
    assert read_small(str(root), "/dir/file/below", 1) is None
    assert read_small(str(root), "/passwd", 1 << 20) is None  # not the host's /etc/passwd
    with pytest.raises(OciError, match=r"^/dir in the rootfs: not a regular file$"):
        read_small(str(root), "/dir", 1)
    (root / "big").write_bytes(bytes(11))
    with pytest.raises(OciError, match=r"^/big in the rootfs: larger than 10 bytes$"):
        read_small(str(root), "/big", 10)
    with pytest.raises(OciError, match=r"^/loop: too many levels of symbolic links$"):
        read_small(str(root), "/loop", 1)
