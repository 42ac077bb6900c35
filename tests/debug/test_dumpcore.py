"""--dumpcore=DIR on solo5-hvt-debug and solo5-spt: the cores gdb loads.

A guest that aborts or faults leaves DIR/core.solo5-<tender>.<pid>
(0600, sparse); `gdb KERNEL CORE` shows the frame that ended it.  A guest
that exits normally leaves nothing.  Bad directories are one error line and
status 1, before the guest runs.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hvt.hvt_env import kvm_problem
from support.guest import STATUS_ABORT, STATUS_SIGSEGV, STATUS_SIGSYS, GuestRun, guest_path, run

from .debug_support import HVT_DEBUG, SPT, gdb_missing, run_gdb

HVT_PROBLEM = kvm_problem()
needs_hvt = pytest.mark.skipif(HVT_PROBLEM is not None, reason=f"hvt cannot run: {HVT_PROBLEM}")
needs_gdb = pytest.mark.skipif(gdb_missing() is not None, reason=str(gdb_missing()))

BINARIES = {"hvt": HVT_DEBUG, "spt": SPT}
TENDERS = [pytest.param("hvt", marks=needs_hvt), "spt"]
PREFIX = r"^solo5-(?:hvt-debug|spt): dumpcore: "
DUMPING = re.compile(PREFIX + r"dumping guest core to: (\S+)$", re.M)
DUMPED = re.compile(PREFIX + r"dumped (\d+) pages of total (\d+) pages$", re.M)


def dump(tender: str, guest: str, directory: Path) -> tuple[GuestRun, Path]:
    """Runs guest with --dumpcore=directory; returns the run and the core."""
    kernel = guest_path(guest, tender)
    result = run([BINARIES[tender], "--mem=2", f"--dumpcore={directory}", kernel], timeout=60)
    m = DUMPING.search(result.stderr)
    assert m is not None, result.describe()
    core = Path(m.group(1))
    assert core.parent == directory
    assert core.name == f"core.solo5-{tender}.{core.name.rsplit('.', 1)[1]}"
    return result, core


def check_core_file(core: Path, result: GuestRun) -> None:
    st = core.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600
    # Sparse: far fewer blocks than bytes (2 MiB of guest memory).
    assert st.st_size >= (2 << 20) - (1 << 16)
    assert st.st_blocks * 512 < st.st_size // 4, (st.st_blocks, st.st_size)
    m = DUMPED.search(result.stderr)
    assert m is not None, result.describe()
    written, total = int(m.group(1)), int(m.group(2))
    assert 0 < written < total


@needs_gdb
@pytest.mark.parametrize("tender", TENDERS)
def test_abort_core_shows_the_aborting_frame(tender: str, tmp_path: Path) -> None:
    result, core = dump(tender, "test_dumpcore", tmp_path)
    assert result.status == STATUS_ABORT, result.describe()
    check_core_file(core, result)
    gdb = run_gdb(guest_path("test_dumpcore", tender), ["bt", "info registers r12"], core=core)
    out = gdb.output
    assert "Program terminated with signal SIGABRT" in out, out
    assert re.search(r"#\d+ .* in solo5_abort \(\)", out), out
    assert re.search(r"#\d+ .* solo5_app_main .*test_dumpcore\.c:\d+", out), out
    assert re.search(r"^r12\s+0x", out, re.M), out


@needs_gdb
@pytest.mark.parametrize("tender", TENDERS)
def test_fault_core_starts_at_the_faulting_instruction(tender: str, tmp_path: Path) -> None:
    # test_exception writes at 16 GiB: hvt's trap handler passes its frame,
    # spt dies of SIGSEGV; either way frame #0 is the faulting store.
    result, core = dump(tender, "test_exception", tmp_path)
    want = STATUS_ABORT if tender == "hvt" else STATUS_SIGSEGV
    assert result.status == want, result.describe()
    check_core_file(core, result)
    gdb = run_gdb(
        guest_path("test_exception", tender), ["bt", "x/i $pc", "print/x $rsp"], core=core
    )
    out = gdb.output
    assert "Program terminated with signal SIGSEGV" in out, out
    assert re.search(r"^#0 .*solo5_app_main", out, re.M), out
    assert re.search(r"=> 0x[0-9a-f]+ <solo5_app_main\+\d+>:\s+mov", out), out


@needs_gdb
def test_spt_seccomp_kill_core(tmp_path: Path) -> None:
    result, core = dump("spt", "test_seccomp", tmp_path)
    assert result.status == STATUS_SIGSYS, result.describe()
    check_core_file(core, result)
    gdb = run_gdb(guest_path("test_seccomp", "spt"), ["bt"], core=core)
    assert "Program terminated with signal SIGSYS" in gdb.output, gdb.output
    assert "solo5_app_main" in gdb.output, gdb.output


@pytest.mark.parametrize("tender", TENDERS)
def test_no_core_for_a_normal_exit(tender: str, tmp_path: Path) -> None:
    result = run(
        [
            BINARIES[tender],
            "--mem=2",
            f"--dumpcore={tmp_path}",
            guest_path("test_exit", tender),
            "7",
        ]
    )
    assert result.status == 7, result.describe()
    assert "dumpcore" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("tender", TENDERS)
def test_missing_directory(tender: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = run([BINARIES[tender], f"--dumpcore={missing}", guest_path("test_hello", tender)])
    assert result.status == 1, result.describe()
    name = "solo5-hvt-debug" if tender == "hvt" else "solo5-spt"
    assert (
        result.stderr
        == f"{name}: dumpcore: cannot open dir: {missing}: No such file or directory\n"
    )
    assert "Hello" not in result.stdout


@pytest.mark.parametrize("tender", TENDERS)
def test_not_a_directory(tender: str, tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("")
    result = run([BINARIES[tender], f"--dumpcore={f}", guest_path("test_hello", tender)])
    assert result.status == 1, result.describe()
    assert result.stderr.endswith(f"dumpcore: cannot open dir: {f}: Not a directory\n"), (
        result.describe()
    )


def _read_only_run(argv: list[str], directory: Path) -> GuestRun:
    """Runs argv where `directory` cannot be written to, even by root."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        return run(argv)
    if shutil.which("unshare") is None:
        pytest.skip("root, and no unshare(1) to make a read-only mount")
    # A private mount namespace with a read-only tmpfs over the directory.
    script = 'mount -t tmpfs -o ro none "$0" && exec "$@"'
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, str(directory), *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return GuestRun(argv, proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("tender", TENDERS)
def test_directory_not_writable(tender: str, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    argv = [
        str(BINARIES[tender]),
        "--mem=2",
        f"--dumpcore={ro}",
        str(guest_path("test_hello", tender)),
    ]
    result = _read_only_run(argv, ro)
    assert result.status == 1, result.describe()
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.describe()
    assert re.fullmatch(
        rf"solo5-(hvt-debug|spt): dumpcore: dir not writable: {ro}/core\.solo5-{tender}\.\d+: "
        r"(Read-only file system|Permission denied)",
        lines[0],
    ), result.describe()
    assert "Hello" not in result.stdout
