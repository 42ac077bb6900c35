"""solo5-virtio-run and solo5-virtio-mkimage: run and package virtio unikernels.

A virtio unikernel is a multiboot kernel for a whole x86_64 virtual machine
(bindings/virtio).  solo5-virtio-run boots one with QEMU, attaching a
virtio-net device per `-n TAP` and a virtio-blk device per `-d DISK` in
the order given (the guest attaches them to its manifest's devices in that
order), and turns QEMU's exit status back into the unikernel's.
solo5-virtio-mkimage writes a bootable disk image (syslinux and its
multiboot module, from Debian's syslinux packages) or a GCE-style tar of one.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from solo5_toolchain import elf, targets
from solo5_toolchain.version import VERSION_DESCRIPTION

QEMU = "qemu-system-x86_64"
DEFAULT_MEM_MB = 128
KVM_PVM_MODULE = Path("/sys/module/kvm_pvm")
PROBE_TIMEOUT_S = 20
ABORT_STATUS = 255


class VirtioError(Exception):
    """A problem the user can fix; the message says which."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, status 1."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(1)


# --- exit statuses -----------------------------------------------------------


def decode_status(qemu_status: int) -> tuple[int, str | None]:
    """The unikernel's status from QEMU's, and a note for the user if any.

    The guest writes code = status + 1 (status 0..VIRTIO_EXIT_MAX), or
    VIRTIO_EXIT_OTHER for any other status, to isa-debug-exit, and QEMU
    exits with (code << 1) | 1.  So QEMU's 3, 5, ... are statuses 0, 1, ...
    and 255 is SOLO5_EXIT_ABORT (or a status above VIRTIO_EXIT_MAX); QEMU's
    own failures exit 1; 0 means the machine stopped without the guest
    reporting anything (a triple fault with -no-reboot, or a power-off).
    """
    if qemu_status < 0:
        return 128 - qemu_status, f"QEMU was killed by signal {-qemu_status}"
    if qemu_status == 0:
        return ABORT_STATUS, "the guest stopped without an exit status (triple fault?)"
    if qemu_status == 1:
        return 1, "QEMU failed (see its message above)"
    if qemu_status & 1:
        code = qemu_status >> 1
        if code == targets.VIRTIO_EXIT_OTHER:
            return ABORT_STATUS, None
        return code - 1, None
    return qemu_status, f"QEMU exited with unexpected status {qemu_status}"


def encode_status(status: int) -> int:
    """What QEMU exits with when the guest calls solo5_exit(status)."""
    ok = 0 <= status <= targets.VIRTIO_EXIT_MAX
    code = status + 1 if ok else targets.VIRTIO_EXIT_OTHER
    return ((code << 1) | 1) & 0xFF


# --- acceleration ------------------------------------------------------------


@dataclass(frozen=True)
class Accel:
    """QEMU arguments for an accelerator, and why it was chosen."""

    name: str
    args: tuple[str, ...]
    note: str | None = None


TCG = ("-accel", "tcg", "-cpu", "qemu64")
KVM = ("-accel", "kvm", "-cpu", "host")


def probe_kvm_host_cpu(qemu: str) -> str | None:
    """None if `-accel kvm -cpu host` starts a machine here, else why not."""
    try:
        proc = subprocess.run(
            [qemu, "-accel", "kvm", "-cpu", "host", "-machine", "pc", "-m", "16",
             "-nodefaults", "-no-user-config", "-display", "none", "-S",
             "-monitor", "stdio"],
            input="quit\n", capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if proc.returncode == 0:
        return None
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"QEMU exited with status {proc.returncode}"


def choose_accel(wanted: str, qemu: str) -> Accel:
    """The accelerator for `wanted` (auto, kvm or tcg)."""
    if wanted == "tcg":
        return Accel("tcg", TCG)
    if wanted == "kvm":
        return Accel("kvm", KVM)
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return Accel("tcg", TCG, "no usable /dev/kvm, using TCG (slow)")
    if KVM_PVM_MODULE.exists():
        return Accel("tcg", TCG, "/dev/kvm is kvm-pvm, which cannot run the SSE "
                     "instructions of CPL0 guests (docs/kvm-pvm.md); using TCG (slow)")
    why = probe_kvm_host_cpu(qemu)
    if why is not None:
        return Accel("tcg", TCG, f"KVM with -cpu host fails here ({why}); using TCG (slow)")
    return Accel("kvm", KVM)


# --- solo5-virtio-run --------------------------------------------------------


def check_unikernel(path: str) -> None:
    """`path` must be a readable unikernel built for virtio."""
    if not os.path.isfile(path):
        raise VirtioError(f"{path}: no such file")
    try:
        info = elf.read_abi(elf.load(path))
    except elf.ElfFileError as error:
        raise VirtioError(str(error)) from None
    if info.target_name != "virtio":
        raise VirtioError(
            f"{path}: Executable is not for the virtio target (it is for {info.target_name})")


def tap_mtu(tap: str) -> int:
    """The MTU of host interface `tap`, which must exist."""
    path = Path("/sys/class/net") / tap / "mtu"
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        raise VirtioError(f"-n {tap}: no such network interface") from None


def qemu_command(qemu: str, accel: Accel, unikernel: str, mem_mb: int, taps: Sequence[str],
                 disks: Sequence[str], args: Sequence[str]) -> list[str]:
    """The QEMU command line that runs `unikernel`."""
    argv = [qemu, *accel.args, "-machine", "pc", "-m", str(mem_mb), "-nodefaults",
            "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
            "-device", f"isa-debug-exit,iobase=0x{targets.VIRTIO_DEBUG_EXIT_PORT:x},"
            f"iosize=0x{targets.VIRTIO_DEBUG_EXIT_SIZE:x}",
            "-kernel", unikernel]
    if args:
        argv += ["-append", " ".join(args)]
    for i, tap in enumerate(taps):
        device = f"virtio-net-pci,netdev=net{i}"
        mtu = tap_mtu(tap)
        if mtu != 1500:
            device += f",host_mtu={mtu}"
        argv += ["-netdev", f"tap,id=net{i},ifname={tap},script=no,downscript=no",
                 "-device", device]
    for i, disk in enumerate(disks):
        if not os.path.isfile(disk):
            raise VirtioError(f"-d {disk}: no such file")
        if not os.access(disk, os.R_OK | os.W_OK):
            raise VirtioError(f"-d {disk}: not readable and writable")
        drive = disk.replace(",", ",,")
        argv += ["-drive", f"file={drive},if=none,id=disk{i},format=raw",
                 "-device", f"virtio-blk-pci,drive=disk{i}"]
    return argv


def run_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="solo5-virtio-run",
        description="Run a Solo5 virtio unikernel in QEMU. Devices are attached to the "
                    "unikernel's manifest entries in the order given, net and block apart. "
                    "The exit status is the unikernel's (255 for an abort).",
    )
    parser.add_argument("-n", dest="taps", metavar="TAP", action="append", default=[],
                        help="attach a virtio-net device on host tap interface TAP")
    parser.add_argument("-d", dest="disks", metavar="DISK", action="append", default=[],
                        help="attach a virtio-blk device backed by raw image file DISK")
    parser.add_argument("-m", dest="mem", metavar="MB", type=int, default=DEFAULT_MEM_MB,
                        help=f"guest memory in MiB (default {DEFAULT_MEM_MB})")
    parser.add_argument("-a", "--accel", choices=("auto", "kvm", "tcg"), default="auto",
                        help="accelerator (default auto: KVM when it can run the guest, "
                             "else TCG, with a note saying why)")
    parser.add_argument("--version", action="version",
                        version=f"solo5-virtio-run version {VERSION_DESCRIPTION}")
    parser.add_argument("-q", dest="quiet", action="store_true",
                        help="do not print the QEMU command")
    parser.add_argument("--qemu", default=os.environ.get("SOLO5_QEMU", QEMU),
                        help=f"QEMU binary (default $SOLO5_QEMU or {QEMU})")
    parser.add_argument("unikernel", metavar="UNIKERNEL")
    parser.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER,
                        help="the unikernel's command line")
    return parser


def run_main(argv: Sequence[str] | None = None) -> int:
    parser = run_parser()
    opts = parser.parse_args(argv)
    prog = parser.prog
    args = list(opts.args)
    if args and args[0] == "--":
        args = args[1:]
    try:
        if opts.mem < 2:
            raise VirtioError(f"-m {opts.mem}: at least 2 MiB are needed")
        if shutil.which(opts.qemu) is None:
            raise VirtioError(f"{opts.qemu} not found: install Debian's qemu-system-x86")
        check_unikernel(opts.unikernel)
        accel = choose_accel(opts.accel, opts.qemu)
        command = qemu_command(opts.qemu, accel, opts.unikernel, opts.mem, opts.taps,
                               opts.disks, args)
    except VirtioError as error:
        sys.stderr.write(f"{prog}: error: {error}\n")
        return 1
    if accel.note:
        sys.stderr.write(f"{prog}: note: {accel.note}\n")
    if not opts.quiet:
        sys.stderr.write(f"{prog}: running: {shlex.join(command)}\n")
    sys.stderr.flush()
    try:
        proc = subprocess.run(command, check=False)
    except KeyboardInterrupt:
        return 130
    status, note = decode_status(proc.returncode)
    if note:
        sys.stderr.write(f"{prog}: {note}\n")
    return status


# --- solo5-virtio-mkimage ----------------------------------------------------

SYSLINUX_MODULES = Path("/usr/lib/syslinux/modules/bios")
SYSLINUX_MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")
MKIMAGE_TOOLS = {"syslinux": "syslinux", "mcopy": "mtools", "mkfs.fat": "dosfstools",
                 "tar": "tar"}
SECTOR = 512
PARTITION_START = 2048  # sectors: 1 MiB, the usual alignment
PARTITION_TYPE_FAT16_LBA = 0x0E
MIB = 1 << 20


def mbr_partition_table(mbr_code: bytes, start: int, sectors: int) -> bytes:
    """A 512-byte MBR: `mbr_code` (up to 440 bytes) and one active FAT
    partition of `sectors` sectors at `start`."""
    if len(mbr_code) > 440:
        raise VirtioError("the syslinux MBR code is larger than 440 bytes")
    entry = bytes([0x80, 0xFE, 0xFF, 0xFF, PARTITION_TYPE_FAT16_LBA, 0xFE, 0xFF, 0xFF])
    entry += start.to_bytes(4, "little") + sectors.to_bytes(4, "little")
    table = mbr_code.ljust(446, b"\0") + entry + bytes(16 * 3) + b"\x55\xaa"
    assert len(table) == SECTOR
    return table


def syslinux_config(args: Sequence[str]) -> str:
    append = " ".join(["unikernel", *args])
    return (f"SERIAL 0 115200\nDEFAULT solo5\nPROMPT 0\nTIMEOUT 0\n"
            f"LABEL solo5\n  KERNEL mboot.c32\n  APPEND {append}\n")


def _tool(argv: Sequence[str | Path]) -> None:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise VirtioError(f"{Path(str(argv[0])).name} failed: "
                          f"{detail[-1] if detail else proc.returncode}")


def make_raw_image(image: Path, unikernel: Path, args: Sequence[str]) -> None:
    """Write a sparse, bootable disk image running `unikernel` with `args`."""
    for tool, package in MKIMAGE_TOOLS.items():
        if shutil.which(tool) is None:
            raise VirtioError(f"{tool} not found: install Debian's {package}")
    for needed in (SYSLINUX_MBR, SYSLINUX_MODULES / "mboot.c32",
                   SYSLINUX_MODULES / "libcom32.c32"):
        if not needed.is_file():
            raise VirtioError(f"{needed} not found: install Debian's syslinux-common")
    fs_bytes = max(16 * MIB, -(-(unikernel.stat().st_size * 2 + 4 * MIB) // MIB) * MIB)
    fs_sectors = fs_bytes // SECTOR
    offset = PARTITION_START * SECTOR
    with image.open("wb") as out:
        out.truncate(offset + fs_bytes)  # sparse
        out.write(mbr_partition_table(SYSLINUX_MBR.read_bytes(), PARTITION_START, fs_sectors))
    _tool(["mkfs.fat", "-F", "16", "-n", "SOLO5", f"--offset={PARTITION_START}", image,
           str(fs_bytes // 1024)])
    _tool(["syslinux", "--install", f"--offset={offset}", image])
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "syslinux.cfg"
        config.write_text(syslinux_config(args))
        target = f"{image}@@{offset}"
        for src, name in ((SYSLINUX_MODULES / "mboot.c32", "mboot.c32"),
                          (SYSLINUX_MODULES / "libcom32.c32", "libcom32.c32"),
                          (config, "syslinux.cfg"), (unikernel, "unikernel")):
            _tool(["mcopy", "-o", "-i", target, src, f"::{name}"])


def make_tar_image(image: Path, unikernel: Path, args: Sequence[str]) -> None:
    """Write a GCE-style image: a gzipped tar holding a sparse disk.raw."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "disk.raw"
        make_raw_image(raw, unikernel, args)
        _tool(["tar", "--format=oldgnu", "-Sczf", image.resolve(), "-C", tmp, "disk.raw"])


def mkimage_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="solo5-virtio-mkimage",
        description="Make a bootable disk image of a Solo5 virtio unikernel (syslinux "
                    "with its multiboot module; the console is the first serial port).",
    )
    parser.add_argument("-f", dest="format", choices=("raw", "tar"), default="raw",
                        help="raw: a sparse disk image (default); tar: a gzipped tar of a "
                             "sparse disk.raw, as Google Compute Engine imports")
    parser.add_argument("--version", action="version",
                        version=f"solo5-virtio-mkimage version {VERSION_DESCRIPTION}")
    parser.add_argument("image", metavar="IMAGE", help="the file to write")
    parser.add_argument("unikernel", metavar="UNIKERNEL")
    parser.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER,
                        help="the unikernel's command line, fixed in the image")
    return parser


def mkimage_main(argv: Sequence[str] | None = None) -> int:
    parser = mkimage_parser()
    opts = parser.parse_args(argv)
    args = list(opts.args)
    if args and args[0] == "--":
        args = args[1:]
    image = Path(opts.image)
    try:
        check_unikernel(opts.unikernel)
        if opts.format == "raw":
            make_raw_image(image, Path(opts.unikernel), args)
        else:
            make_tar_image(image, Path(opts.unikernel), args)
    except (VirtioError, OSError) as error:
        sys.stderr.write(f"{parser.prog}: error: {error}\n")
        return 1
    return 0
