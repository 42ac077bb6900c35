"""The test unikernels on real Xen: each boots as Xen's PVH dom0 under
QEMU (xen_support.py), prints on Xen's console and leaves its exit status
as its last console line."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support.paths import TOP
from xen_support import DOM0_MEM_MB, boot, guest

pytestmark = pytest.mark.usefixtures("xen_machine")

ABORT = 255
# Xen's word for how the hardware domain shut down.
POWEROFF = "halted"
CRASH = "crashed"


@pytest.mark.parametrize(
    ("name", "args", "status", "text"),
    [
        ("test_hello", ["Hello_Solo5"], 0, "Command line is: 'Hello_Solo5'\nSUCCESS\n"),
        ("test_globals", [], 0, "SUCCESS"),
        ("test_tls", [], 0, "SUCCESS"),
        ("test_fpu", [], 0, "SUCCESS"),
        ("test_time", [], 0, "SUCCESS"),
        ("test_exception", [], ABORT, "Solo5: trap: type=#PF"),
        ("test_zeropage", [], ABORT, "Solo5: trap: cr2=0x8\n"),
        ("test_notls", [], ABORT, "Solo5: trap: cr2=0x28\n"),
        ("test_ssp", [], ABORT, "Solo5: ABORT: Stack corruption detected"),
        # W^X of the page tables the bindings build: a write into .text or
        # .rodata is a protection fault (error code P|W), a call into .data
        # an instruction-fetch fault (P|I, NX) at the address it called.
        ("test_xnow", [], ABORT, "Solo5: trap: type=#PF ec=0x3 "),
        ("test_rnow", [], ABORT, "Solo5: trap: type=#PF ec=0x3 "),
        ("test_wnox", [], ABORT, "Solo5: trap: type=#PF ec=0x11 "),
    ],
)
def test_guest(name: str, args: list[str], status: int, text: str) -> None:
    result = boot(guest(name), args)
    assert result.status == status, result.describe()
    assert result.shutdown == (CRASH if status == ABORT else POWEROFF), result.describe()
    assert text in result.output, result.describe()


def test_banner_memory_and_console() -> None:
    result = boot(guest("test_hello"), ["--solo5:debug", "Hello_Solo5"])
    assert result.status == 0, result.describe()
    out = result.output
    assert "Solo5: Bindings version" in out
    assert f"Solo5: Memory map: {DOM0_MEM_MB} MB addressable:" in out
    assert "Solo5: Xen console: none, using Xen's own (console_io)" in out
    # The page tables are the first pages after the image, then the heap.
    tables = re.search(r"Solo5: xen: page tables @ \(0x([0-9a-f]+) - 0x([0-9a-f]+)\)", out)
    heap = re.search(r"heap >= 0x([0-9a-f]+) <", out)
    assert tables and heap, out
    assert int(tables.group(1), 16) == int(heap.group(1), 16)
    assert "Solo5: solo5_exit(0) called\nSolo5: exit status 0\n" in out


def test_wnox_faults_on_the_fetch_itself() -> None:
    out = boot(guest("test_wnox")).output
    trap = re.search(r"rip=(0x[0-9a-f]+) .*\nSolo5: trap: cr2=(0x[0-9a-f]+)", out)
    assert trap and trap.group(1) == trap.group(2), out


def test_page_tables_are_not_mapped() -> None:
    # A write just below the heap lands in the last page-table page: not
    # present (#PF, error code W), at the address written.
    result = boot(guest("test_xen_pagetables"))
    assert result.status == ABORT, result.describe()
    written = re.search(r"writing at (0x[0-9a-f]+)\n", result.output)
    assert written, result.describe()
    assert "Solo5: trap: type=#PF ec=0x2 " in result.output, result.describe()
    assert f"Solo5: trap: cr2={written.group(1)}\n" in result.output, result.describe()


def test_quiet_leaves_only_the_exit_record() -> None:
    result = boot(guest("test_quiet"), ["--solo5:quiet"])
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.output
    solo5 = [line for line in result.output.splitlines() if "Solo5:" in line]
    assert solo5 == ["Solo5: exit status 0"], result.describe()


def test_output_bytes() -> None:
    # 4 KiB in one console write, through Xen's console_io.
    result = boot(guest("test_output"))
    assert result.status == 0, result.describe()
    lines = result.output.splitlines()
    for i in range(64):
        assert any(line.startswith(f"{i:02d} ") for line in lines), i


@pytest.mark.parametrize(("args", "status"), [
    (["1"], 1), (["83"], 83), (["254"], 254), (["return", "42"], 42), (["255"], ABORT),
])
def test_exit_statuses(args: list[str], status: int) -> None:
    # Unlike upstream's poweroff-or-crash, the status itself comes out.
    result = boot(guest("test_exit"), args)
    assert result.status == status, result.describe()
    assert result.shutdown == (CRASH if status == ABORT else POWEROFF), result.describe()


def test_without_a_manifest_it_aborts(tmp_path: Path) -> None:
    # No tender checks a xen unikernel: the bindings refuse to run one linked
    # without its manifest (the link succeeds: the note is weak).
    cc = TOP / "build" / "stage" / "bin" / "x86_64-solo5-none-static-cc"
    (tmp_path / "app.c").write_text(
        '#include "solo5.h"\n'
        "int solo5_app_main(const struct solo5_start_info *si) { (void)si; return 0; }\n")
    for argv in ([cc, "-c", "app.c"], [cc, "-z", "solo5-abi=xen", "app.o", "-o", "app.xen"]):
        subprocess.run(argv, cwd=tmp_path, check=True, timeout=60)
    result = boot(tmp_path / "app.xen")
    assert result.status == ABORT, result.describe()
    assert result.shutdown == CRASH, result.describe()
    assert "Solo5: ABORT: bindings_mft.c:" in result.output
    assert ": no Solo5 manifest linked in\n" in result.output, result.describe()
