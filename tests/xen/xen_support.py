"""Booting a xen test unikernel on real Xen: Debian's Xen 4.17 under QEMU
(TCG), with the unikernel as Xen's PVH hardware domain (dom0).  One boot
runs one unikernel and takes about a second and a half here.

Why dom0 rather than a domU started by `xl` from a Linux dom0: Xen alone
boots in about a second, where a Linux dom0 with xenstored, xenconsoled
and xl adds tens of seconds per boot and a Linux kernel, an initramfs and
the toolstack's libraries to fetch and assemble (docs/targets.md).  As
dom0 the unikernel has no PV console ring, so its console is Xen's own
(the console_io hypercall, our addition), and Xen's serial line carries it.

The exit status leaves the domain as the bindings' last console line,
"Solo5: exit status N" (docs/targets.md); Xen's own last line says how the
domain shut down (poweroff: "halted", crash: "crashed").
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from support.paths import GUESTS

XEN_CACHE = Path(os.environ.get("SOLO5_XEN_CACHE", "/var/cache/solo5-tests/xen"))
XEN = XEN_CACHE / "xen-4.17-amd64"
TIMEOUT_S = 60
DOM0_MEM_MB = 64

QEMU = [
    "qemu-system-x86_64", "-accel", "tcg",
    # TCG's SVM has no NRIP save, and Xen then fails every RDTSCP exit.
    "-cpu", "max,-rdtscp",
    # Xen refuses a PVH hardware domain without an IOMMU.
    "-machine", "q35,kernel-irqchip=split", "-device", "intel-iommu,intremap=on",
    "-m", "512", "-nodefaults", "-no-user-config", "-display", "none",
    "-serial", "stdio", "-no-reboot",
]
XEN_CMDLINE = (
    f"console=com1 com1=115200 dom0=pvh dom0_mem={DOM0_MEM_MB}M noreboot"
)
# Xen's last words about its hardware domain: halted (poweroff), crashed...
XEN_SHUTDOWN = re.compile(r"\(XEN\) Hardware Dom0 (\w+)")
EXIT_RECORD = re.compile(r"^Solo5: exit status (-?\d+)$", re.M)


@dataclass(frozen=True)
class Boot:
    """What one boot printed, and the status the unikernel left."""

    console: str  # everything on the serial line, CR LF as LF
    shutdown: str | None  # Xen's word for the dom0 shutdown, None if none came

    @property
    def status(self) -> int | None:
        """The unikernel's exit status: its last exit record."""
        records = EXIT_RECORD.findall(self.console)
        return int(records[-1]) if records else None

    @property
    def output(self) -> str:
        """The unikernel's console: the serial line without Xen's lines."""
        lines = self.console.splitlines(keepends=True)
        start = next((i + 1 for i, line in enumerate(lines) if "Freed" in line and
                      "init memory" in line), 0)
        return "".join(line for line in lines[start:] if not line.startswith("(XEN)"))

    def describe(self) -> str:
        return f"status {self.status}, Xen: {self.shutdown}\n--- console\n{self.console}"


def guest(name: str) -> Path:
    path = GUESTS / name / f"{name}.xen"
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
    return path


def qemu_command(kernel: Path, args: Sequence[str]) -> list[str]:
    # QEMU's multiboot loader splits -initrd at commas: the module string
    # is the file name then the command line, which Xen strips of its
    # first word for dom0.
    module = " ".join([str(kernel), *args])
    if "," in module:
        raise ValueError(f"QEMU cannot pass a comma to a multiboot module: {module!r}")
    return [*QEMU, "-kernel", str(XEN), "-append", XEN_CMDLINE, "-initrd", module]


def boot(kernel: Path, args: Sequence[str] = (), timeout: float = TIMEOUT_S) -> Boot:
    """Boots Xen with `kernel` as dom0 until Xen reports its shutdown (Xen
    then halts the machine, so QEMU is stopped here)."""
    proc = subprocess.Popen(qemu_command(kernel, args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    data = b""
    shutdown = None
    deadline = time.monotonic() + timeout
    try:
        while shutdown is None and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break  # QEMU ended by itself: a reset (triple fault)
            data += chunk
            found = XEN_SHUTDOWN.search(data.decode(errors="replace"))
            if found and data.endswith(b"\n"):
                shutdown = found.group(1)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return Boot(data.decode(errors="replace").replace("\r\n", "\n"), shutdown)
