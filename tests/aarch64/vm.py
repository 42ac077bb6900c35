"""One Linux/arm64 virtual machine under qemu-system-aarch64 (TCG) that runs
every aarch64 case in a single boot and reports over its serial console.

    kit = fetch_kit(cache_dir())            # kernel, tun.ko, busybox (cached)
    image = build_initramfs(kit, payload, init_script, work)
    boot = boot(kit, image, timeout)        # -> Boot(console, seconds)
    results = parse_results(boot.console)   # {case name: CaseResult}

The kernel and busybox are Debian's arm64 packages, fetched with
`apt-get download` (the arm64 architecture must be known to dpkg:
scripts/ensure-env.sh adds it) and unpacked into the cache, never into the
repository.  `-machine virt,virtualization=on` gives the guest kernel an
emulated EL2, so it offers /dev/kvm and solo5-hvt runs nested.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

QEMU = "qemu-system-aarch64"
KERNEL_META = "linux-image-arm64:arm64"
BUSYBOX = "busybox-static:arm64"
# The shared libraries of the tenders (libc alone: they write their seccomp
# filters themselves), from Debian's arm64 multiarch package libc6:arm64,
# installed as the VM's /lib.
MULTIARCH_LIB = Path("/usr/lib/aarch64-linux-gnu")
TENDER_LIBS = ("libc.so.6",)
DYNAMIC_LOADER = "ld-linux-aarch64.so.1"

# The console protocol of the VM's /init (cases.py renders it).
BEGIN = "@@solo5-case-begin "
END = "@@solo5-case-end "
DONE = "@@solo5-all-done"
TIME = "@@solo5-case-time "  # <case> <VM uptime in s> after it


class VmError(Exception):
    """The VM could not be prepared or did not report; the message says why."""


@dataclass(frozen=True)
class Kit:
    """What the VM is made of, unpacked in the cache."""

    kernel: Path
    tun_module: Path
    busybox: Path


@dataclass(frozen=True)
class Boot:
    console: str
    seconds: float
    status: int


@dataclass(frozen=True)
class CaseResult:
    status: int
    output: str


def cache_dir() -> Path:
    """$SOLO5_TEST_CACHE, else /var/cache/solo5-tests/aarch64 when writable
    (root), else ~/.cache/solo5-tests/aarch64."""
    if "SOLO5_TEST_CACHE" in os.environ:
        return Path(os.environ["SOLO5_TEST_CACHE"]) / "aarch64"
    system = Path("/var/cache/solo5-tests")
    if os.access(system, os.W_OK) or (not system.exists() and os.access(system.parent, os.W_OK)):
        return system / "aarch64"
    return Path.home() / ".cache" / "solo5-tests" / "aarch64"


def _run(argv: list[str], cwd: Path | None = None, timeout: float = 300) -> str:
    proc = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise VmError(f"{' '.join(argv)} failed: {detail[-1] if detail else proc.returncode}")
    return proc.stdout


def _kernel_package() -> str:
    """The versioned image package the meta package depends on."""
    out = _run(["apt-cache", "depends", KERNEL_META])
    m = re.search(r"Depends: (linux-image-[0-9][^\s:]*-arm64)(:arm64)?", out)
    if not m:
        raise VmError(
            f"apt-cache depends {KERNEL_META} names no kernel image: is the arm64 "
            "architecture configured? (scripts/ensure-env.sh adds it)"
        )
    return m.group(1) + ":arm64"


def _download(package: str, cache: Path) -> Path:
    """The .deb of `package` in cache/debs, fetched with apt-get download."""
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    name = package.split(":")[0]
    found = sorted(debs.glob(f"{name}_*_arm64.deb"))
    if found:
        return found[-1]
    _run(["apt-get", "download", "-q", package], cwd=debs)
    found = sorted(debs.glob(f"{name}_*_arm64.deb"))
    if not found:
        raise VmError(f"apt-get download {package} left no .deb in {debs}")
    return found[-1]


def _unpack(deb: Path, members: dict[str, str], into: Path) -> dict[str, Path]:
    """Extracts the files matching each glob of `members` (name -> glob,
    relative to the package root) into `into`/<deb stem>/."""
    out = into / deb.stem
    wanted = {name: sorted(out.glob(glob)) for name, glob in members.items()}
    if not all(wanted.values()):
        with tempfile.TemporaryDirectory(dir=into) as tmp:
            _run(["dpkg-deb", "-x", str(deb), tmp])
            for glob in members.values():
                for src in Path(tmp).glob(glob):
                    dst = out / src.relative_to(tmp)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dst)
        wanted = {name: sorted(out.glob(glob)) for name, glob in members.items()}
    missing = [glob for name, glob in members.items() if not wanted[name]]
    if missing:
        raise VmError(f"{deb.name} has no {', '.join(missing)}")
    return {name: paths[0] for name, paths in wanted.items()}


def fetch_kit(cache: Path) -> Kit:
    """The kernel, its tun module and busybox, downloaded and unpacked once."""
    cache.mkdir(parents=True, exist_ok=True)
    unpacked = cache / "unpacked"
    unpacked.mkdir(exist_ok=True)
    kernel = _unpack(
        _download(_kernel_package(), cache),
        {"kernel": "boot/vmlinuz-*", "tun": "lib/modules/*/kernel/drivers/net/tun.ko"},
        unpacked,
    )
    busybox = _unpack(_download(BUSYBOX, cache), {"busybox": "bin/busybox"}, unpacked)
    return Kit(kernel["kernel"], kernel["tun"], busybox["busybox"])


def _cpio_newc(root: Path) -> bytes:
    """root as a newc cpio archive (what `find . | cpio -o -H newc` makes)."""
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    proc = subprocess.run(
        ["cpio", "-o", "-H", "newc", "--quiet"],
        cwd=root,
        input="\n".join(names).encode() + b"\n",
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise VmError(f"cpio failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def build_initramfs(kit: Kit, payload: dict[str, Path], init_script: str, work: Path) -> Path:
    """An initramfs with busybox, the tenders' libraries, tun.ko, the
    payload (destination in the VM -> file on this host) and /init."""
    root = work / "root"
    for d in ("bin", "dev", "proc", "sys", "tmp", "lib/aarch64-linux-gnu", "solo5"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(kit.busybox, root / "bin" / "busybox")
    shutil.copy2(kit.tun_module, root / "tun.ko")
    shutil.copy2(MULTIARCH_LIB / DYNAMIC_LOADER, root / "lib" / DYNAMIC_LOADER)
    for lib in TENDER_LIBS:
        src = MULTIARCH_LIB / lib
        if not src.exists():
            raise VmError(f"{src} is missing: apt-get install libc6:arm64")
        shutil.copy2(src.resolve(), root / "lib" / "aarch64-linux-gnu" / lib)
    for dest, src in payload.items():
        target = root / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    init = root / "init"
    init.write_text(init_script)
    init.chmod(0o755)
    image = work / "initrd.gz"
    image.write_bytes(gzip.compress(_cpio_newc(root), compresslevel=1))
    return image


def qemu_command(kit: Kit, initrd: Path) -> list[str]:
    """virt with an emulated EL2 and a GICv3 (KVM in the guest), one vCPU."""
    return [
        QEMU, "-machine", "virt,virtualization=on,gic-version=3", "-cpu", "max",
        "-m", "1024", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config",
        "-serial", "stdio", "-no-reboot", "-kernel", str(kit.kernel), "-initrd", str(initrd),
        # panic=-1 with -no-reboot: a kernel panic ends QEMU instead of hanging.
        "-append", "console=ttyAMA0 quiet loglevel=3 panic=-1",
    ]  # fmt: skip


def boot(kit: Kit, initrd: Path, timeout: float) -> Boot:
    """Boots the VM until it powers off; its whole console output."""
    if shutil.which(QEMU) is None:
        raise VmError(f"{QEMU} is not installed: apt-get install qemu-system-arm")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            qemu_command(kit, initrd),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        console = (e.stdout or b"").decode(errors="replace")
        raise VmError(
            f"the VM did not power off within {timeout:.0f} s; console "
            f"ends with:\n{console[-3000:]}"
        ) from None
    console = proc.stdout.decode(errors="replace").replace("\r\n", "\n")
    return Boot(console, time.monotonic() - start, proc.returncode)


def parse_times(console: str) -> dict[str, float]:
    """{case: seconds it took} from the uptimes after each case."""
    times: dict[str, float] = {}
    last = None
    for m in re.finditer(
        rf"^(@@solo5-vm .*uptime=|{re.escape(TIME)}(\S+) )([0-9.]+)$", console, re.M
    ):
        now = float(m.group(3))
        if m.group(2) is not None and last is not None:
            times[m.group(2)] = now - last
        last = now
    return times


def parse_results(console: str) -> dict[str, CaseResult]:
    """{case: result} from the BEGIN/END blocks of the console."""
    results: dict[str, CaseResult] = {}
    pattern = re.compile(
        rf"^{re.escape(BEGIN)}(\S+)\n(.*?)^{re.escape(END)}(\S+) (-?\d+)$", re.M | re.S
    )
    for m in pattern.finditer(console):
        if m.group(1) == m.group(3):
            results[m.group(1)] = CaseResult(int(m.group(4)), m.group(2))
    return results
