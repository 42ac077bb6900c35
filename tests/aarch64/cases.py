"""The aarch64 cases: what runs in the VM, and what each must show.

Every case is one tender run inside the VM (solo5-spt or solo5-hvt, built
for aarch64), with optional shell set-up before it, a shell command run
while it runs (pings), and a shell command after it whose output is
appended (a block file's checksum).  `init_script()` turns the table into
the VM's /init; `tests/aarch64/test_vm.py` checks each case's status and
output from the console.

The cases are sized for nested KVM under TCG, where every hypercall exit
costs tens of microseconds: a few pings, a 1 MiB disk.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass, field

from . import vm

STATUS_SIGSEGV = 139
STATUS_SIGSYS = 159
STATUS_ABORT = 255
TENDERS = ("spt", "hvt")
CASE_TIMEOUT_S = 60  # per case, inside the VM (busybox timeout)
DISK = "/tmp/disk"
DISK_BYTES = 1 << 20
NET_PINGS = {"spt": 5, "hvt": 3}
NET_PING_INTERVAL_S = 0.2


@dataclass(frozen=True)
class Case:
    name: str  # "<tender>.<what>", the pytest id
    tender: str
    guest: str  # the unikernel, /solo5/<guest>.<tender> unless `kernel`
    args: tuple[str, ...] = ()
    tender_args: tuple[str, ...] = ()
    status: int = 0
    expect: tuple[str, ...] = ("SUCCESS",)
    reject: tuple[str, ...] = ("FAILURE",)
    setup: str = ""  # shell, before (its output is dropped)
    during: str = ""  # shell, while the tender runs (output appended)
    after: str = ""  # shell, after (output appended)
    kernel: str = ""  # another unikernel file in the VM
    mem: int = 2
    extra: dict[str, str] = field(default_factory=dict)  # checks in test_vm.py

    def command(self) -> str:
        kernel = self.kernel or f"{self.guest}.{self.tender}"
        argv = [f"./solo5-{self.tender}", f"--mem={self.mem}", *self.tender_args, kernel]
        argv += self.args
        return f"timeout {CASE_TIMEOUT_S} " + " ".join(shlex.quote(a) for a in argv)


def _fault(tender: str, guest: str, hvt_lines: tuple[str, ...]) -> Case:
    """A guest memory fault: SIGSEGV on spt, a reported trap on hvt."""
    if tender == "spt":
        return Case(f"spt.{guest}", "spt", guest, status=STATUS_SIGSEGV, expect=())
    return Case(
        f"hvt.{guest}", "hvt", guest, status=STATUS_ABORT,
        expect=(*hvt_lines, "Solo5: ABORT: hvt_cpu_aarch64.c:", "Fatal trap"),
    )  # fmt: skip


def _basic(t: str) -> list[Case]:
    return [
        Case(f"{t}.hello", t, "test_hello", ("Hello_Solo5",),
             expect=("Hello, World", "Command line is: 'Hello_Solo5'", "SUCCESS")),
        Case(f"{t}.quiet", t, "test_quiet", ("--solo5:quiet",), reject=("Solo5:", "FAILURE")),
        Case(f"{t}.globals", t, "test_globals"),
        Case(f"{t}.tls", t, "test_tls"),
        Case(f"{t}.fpu", t, "test_fpu"),
        Case(f"{t}.time", t, "test_time"),
        Case(f"{t}.ssp", t, "test_ssp", status=STATUS_ABORT,
             expect=("Solo5: ABORT: Stack corruption detected",)),
        Case(f"{t}.exit", t, "test_exit", ("7",), status=7, expect=()),
        # 4 KiB in one console write; test_vm.py compares the bytes.
        Case(f"{t}.output", t, "test_output", expect=(), extra={"output": "1"}),
    ]  # fmt: skip


def _faults(t: str) -> list[Case]:
    return [
        # A write to 16 GiB: beyond the page tables.
        _fault(t, "test_exception", ("Solo5: trap: type=data-abort", "far=0x400000000")),
        # A write to address 8, in the unmapped zero page.
        _fault(t, "test_zeropage", ("Solo5: trap: type=data-abort", "far=0x8\n")),
        # A load from TPIDR_EL0 + 0x10 with TPIDR_EL0 = 0.
        _fault(t, "test_notls", ("Solo5: trap: type=data-abort", "far=0x10\n")),
        # W^X: .text and .rodata are read-only, .data never executable,
        # at stage 1 already (the guest itself traps).
        _fault(t, "test_xnow", ("Solo5: trap: type=data-abort",)),
        _fault(t, "test_rnow", ("Solo5: trap: type=data-abort",)),
        _fault(t, "test_wnox", ("Solo5: trap: type=instruction-abort",)),
    ]


def _block(t: str) -> list[Case]:
    make_disk = f"dd if=/dev/zero of={DISK} bs=4096 count={DISK_BYTES // 4096}"
    cases = [
        Case(f"{t}.block", t, "test_blk", tender_args=(f"--block:storage={DISK}", "--"),
             setup=make_disk, after=f"md5sum {DISK}", extra={"block_size": "512"}),
        Case(f"{t}.block4k", t, "test_blk",
             tender_args=(f"--block:storage={DISK}", "--block-sector-size:storage=4096", "--"),
             setup=make_disk, after=f"md5sum {DISK}", extra={"block_size": "4096"}),
        # Reads in order (hvt's read-ahead: a heap of 2 MiB or more).
        Case(f"{t}.block_seq", t, "test_blk_seq", ("fill",),
             tender_args=(f"--block:storage={DISK}", "--"), setup=make_disk, mem=8),
    ]  # fmt: skip
    if t == "spt":
        # Raw pread64/pwrite64 past the bindings: the filter's bounds.
        for how in ("beyond", "straddle", "huge", "far", "read"):
            cases.append(Case(
                f"spt.block_hostile_{how}", "spt", "test_blk_hostile", (how,),
                tender_args=(f"--block:storage={DISK}", "--"), status=STATUS_SIGSYS,
                expect=(), setup=make_disk, after=f"md5sum {DISK}",
                extra={"unchanged": "1"},
            ))  # fmt: skip
        cases.append(Case(
            "spt.block_hostile_inside", "spt", "test_blk_hostile", ("inside",),
            tender_args=(f"--block:storage={DISK}", "--"), setup=make_disk,
            expect=("pwrite64 returned 512", "SUCCESS"),
        ))  # fmt: skip
    return cases


def _net(t: str) -> Case:
    """test_net answers N pings from the VM's Linux over a tap, then exits."""
    n = NET_PINGS[t]
    wait_ready = (
        "i=0; while ! grep -q serving /tmp/out && [ $i -lt 300 ]; do usleep 100000; "
        "i=$((i+1)); done"
    )
    return Case(
        f"{t}.net", t, "test_net", (f"limit={n}",), tender_args=("--net:service0=tap100", "--"),
        setup="tunctl -t tap100 && ip addr add 10.0.0.1/24 dev tap100 && ip link set tap100 up",
        during=f"{wait_ready}; ping -c {n} -i {NET_PING_INTERVAL_S} -w 30 10.0.0.2",
        after="tunctl -d tap100 >/dev/null",
        expect=(f"{n} packets transmitted, {n} packets received", "SUCCESS"),
    )  # fmt: skip


def _block_raw(sector: int) -> Case:
    """BLOCK_WRITE/READ hypercalls by hand on a 16-block disk: the tender's
    bounds, alignment and handle checks answer EINVAL and write nothing; the
    good requests leave block 0 and the last three written (0xa5)."""
    written = b"\xa5" * sector
    want = hashlib.md5(written + bytes(12 * sector) + written * 3).hexdigest()
    return Case(
        f"hvt.block_raw_{sector}", "hvt", "test_blk_hvt_raw",
        tender_args=(f"--block:storage={DISK}", f"--block-sector-size:storage={sector}"),
        setup=f"dd if=/dev/zero of={DISK} bs={sector} count=16",
        after=f"md5sum {DISK}", expect=("SUCCESS", f"{want}  {DISK}"),
        reject=("FAILURE", "UNEXPECTED"),
    )  # fmt: skip


def _hvt_only() -> list[Case]:
    mmio = "Invalid guest mmio access: mmio="
    hostile = [
        ("read", (mmio, "(read,")),
        ("byte", (mmio, "len=1")),
        ("wide", (mmio, "len=8")),
        ("unaligned", (f"{mmio}0x10000000c",)),
        ("num0", ("Invalid guest hypercall: num=0",)),
        ("num9", ("Invalid guest hypercall: num=9",)),
        ("beyond", (f"{mmio}0x120000000",)),
        ("argpast", ("Invalid guest access: gpa=",)),
        # Without rings the kick's address is just hypercall slot 32.
        ("kick", ("Invalid guest hypercall: num=32",)),
    ]
    cases = [Case("hvt.mmio_ok", "hvt", "test_mmio_hostile", ("ok",))]
    cases += [_block_raw(sector) for sector in (512, 4096)]
    for how, lines in hostile:
        cases.append(Case(f"hvt.mmio_{how}", "hvt", "test_mmio_hostile", (how,), status=1,
                          expect=("solo5-hvt: ", *lines)))  # fmt: skip
    cases += [
        # Not for this machine or this tender: refused before running.
        Case("hvt.x86_64_unikernel", "hvt", "test_hello", kernel="x86_64/test_hello.hvt",
             status=1, expect=("not aarch64",)),
        Case("hvt.spt_unikernel", "hvt", "test_hello", kernel="test_hello.spt", status=1,
             expect=("solo5-hvt: ",)),
        Case("hvt.mem_too_big", "hvt", "test_hello", mem=8192, status=1,
             expect=("exceeds the max size 4294967296 bytes",)),
        # The page tables beyond the first 2 MiB: 2 MiB blocks, every L1
        # entry up to the 4 GiB maximum (lazily backed: the VM has 1 GiB).
        Case("hvt.tls_512m", "hvt", "test_tls", mem=512, expect=("SUCCESS", "512 MB addressable")),
        Case("hvt.tls_4g", "hvt", "test_tls", mem=4096,
             expect=("SUCCESS", "4096 MB addressable")),
    ]  # fmt: skip
    return cases


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for t in TENDERS:
        cases += _basic(t) + _faults(t) + _block(t) + [_net(t)]
    cases.append(Case("spt.seccomp", "spt", "test_seccomp", status=STATUS_SIGSYS, expect=()))
    # An aarch64 core of the guest: its ELF header names EM_AARCH64 (183).
    cases.append(Case(
        "spt.dumpcore", "spt", "test_dumpcore", tender_args=("--dumpcore=/tmp/cores",),
        setup="mkdir -p /tmp/cores", status=STATUS_ABORT,
        after="od -An -tx1 -j16 -N4 /tmp/cores/core.solo5-spt.*",
        expect=("solo5-spt: dumpcore: dumped ", " 04 00 b7 00"),
    ))  # fmt: skip
    cases += _hvt_only()
    return cases


def guests(cases: list[Case]) -> set[str]:
    """The unikernel files the cases run, relative to /solo5 in the VM."""
    return {c.kernel or f"{c.guest}.{c.tender}" for c in cases}


def _case_script(c: Case) -> str:
    lines = [
        f"echo '{vm.BEGIN}{c.name}'",
        f"( {c.setup} ) >/dev/null 2>&1" if c.setup else "",
    ]
    if c.during:
        lines += [
            f"{c.command()} >/tmp/out 2>&1 &",
            "pid=$!",
            f"( {c.during} ) >/tmp/during 2>&1",
            "wait $pid; st=$?",
            "show /tmp/out; show /tmp/during",
        ]
    else:
        lines += [f"{c.command()} >/tmp/out 2>&1; st=$?", "show /tmp/out"]
    if c.after:
        lines.append(f"( {c.after} ) 2>&1")
    lines.append(f"echo '{vm.END}{c.name}' $st")
    lines.append(f"echo \"{vm.TIME}{c.name} $(cut -d' ' -f1 /proc/uptime)\"")
    return "\n".join(line for line in lines if line) + "\n"


INIT_HEAD = """#!/bin/busybox sh
# /init of the aarch64 test VM (generated by tests/aarch64/cases.py).
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
insmod /tun.ko
export PATH=/bin
# No core files: a killed spt guest would dump the tender's memory to the
# ramdisk, slowly under TCG.
ulimit -c 0
cd /solo5
# show FILE: its content, ending with a newline.
show() {
    cat "$1"
    [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\\n' ] && echo
    return 0
}
echo "@@solo5-vm kvm=$([ -c /dev/kvm ] && echo yes || echo no) uptime=$(cut -d' ' -f1 /proc/uptime)"
"""

INIT_TAIL = f"""echo "{vm.DONE} uptime=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
"""


def init_script(cases: list[Case]) -> str:
    return INIT_HEAD + "".join(_case_script(c) for c in cases) + INIT_TAIL
