"""solo5-virtio-mkimage images boot in QEMU, and both scripts work from an
installed prefix (a copy of build/stage, which is one)."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from virtio_support import STAGE, guest, virtio_run

from solo5_toolchain import abi, targets, virtio


def mkimage(args: list[str | Path], prefix: Path = STAGE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(prefix / "bin" / "solo5-virtio-mkimage"), *map(str, args)],
                          capture_output=True, text=True, timeout=120, check=False)


def boot_disk(image: Path) -> tuple[int, str]:
    proc = subprocess.run(
        ["qemu-system-x86_64", *virtio.TCG, "-machine", "pc", "-m", "128", "-nodefaults",
         "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
         "-device", f"isa-debug-exit,iobase=0x{targets.VIRTIO_DEBUG_EXIT_PORT:x},"
         f"iosize=0x{targets.VIRTIO_DEBUG_EXIT_SIZE:x}",
         "-drive", f"file={image},format=raw,if=ide"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)
    return virtio.decode_status(proc.returncode)[0], proc.stdout.decode(errors="replace")


@pytest.mark.parametrize("name, args, expected", [
    ("test_hello", ["Hello_Solo5"], "Command line is: 'Hello_Solo5'"),
    # mboot.c32 loads the ELF by its program headers: TLS data must load too.
    ("test_tls", [], "**** Solo5 standalone test_tls ****"),
])
def test_raw_image_boots(tmp_path: Path, name: str, args: list[str], expected: str) -> None:
    image = tmp_path / "disk.raw"
    result = mkimage([image, guest(name), *args])
    assert (result.returncode, result.stderr) == (0, "")
    assert image.stat().st_blocks * 512 < image.stat().st_size  # sparse
    assert image.read_bytes()[510:512] == b"\x55\xaa"
    status, out = boot_disk(image)
    assert "SYSLINUX" in out, out
    assert status == 0, out
    assert expected in out and "SUCCESS" in out, out


def test_loadable_segments_suit_multiboot_loaders() -> None:
    """syslinux's mboot.c32 refuses a PT_LOAD it cannot place, even an empty
    one at vaddr 0 ('Memory segment at 0x00000000 (len 0x00000000) is
    unavailable'), so a virtio unikernel has none: without TLS data as with."""
    for name in ("test_hello", "test_tls"):
        with guest(name).open("rb") as stream:
            loads = [s for s in ELFFile(stream).iter_segments() if s["p_type"] == "PT_LOAD"]
        assert loads, name
        for seg in loads:
            assert seg["p_memsz"] > 0 and seg["p_vaddr"] >= abi.GUEST_MIN_BASE, (name, seg.header)


def test_tar_image(tmp_path: Path) -> None:
    image = tmp_path / "image.tar.gz"
    result = mkimage(["-f", "tar", image, guest("test_hello")])
    assert (result.returncode, result.stderr) == (0, "")
    with tarfile.open(image) as tar:
        assert tar.getnames() == ["disk.raw"]


def test_mkimage_refuses_other_targets(tmp_path: Path) -> None:
    result = mkimage([tmp_path / "x.raw", guest("test_hello").with_suffix(".spt")])
    assert result.returncode == 1
    assert "Executable is not for the virtio target" in result.stderr


def test_scripts_work_from_an_installed_prefix(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    shutil.copytree(STAGE, prefix, symlinks=True)
    result = virtio_run(["-q", guest("test_hello"), "Hello_Solo5"], prefix=prefix)
    assert result.status == 0, result.describe()
    result = mkimage([tmp_path / "d.raw", guest("test_hello")], prefix=prefix)
    assert result.returncode == 0, result.stderr
