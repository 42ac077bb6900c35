"""solo5-hvt-debug --gdb driven by real gdb (batch mode), plus the raw protocol.

Each case starts the tender on a free loopback port, connects gdb to it and
checks what a user sees: gdb's output, the tender's messages and its exit
status.  With --gdb the guest runs at CPL0 (docs/debugging.md says why), so
on kvm-pvm it is emulated: the guests here are small.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest
from hvt.hvt_env import kvm_problem
from support.guest import guest_path

from .debug_support import HVT_DEBUG, GdbTender, gdb_missing, run_gdb

_PROBLEM = kvm_problem() or gdb_missing()
pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=f"cannot debug hvt: {_PROBLEM}")


def hvt(guest: str) -> Path:
    return guest_path(guest, "hvt")


def test_session_break_bt_print_next_registers_watch_exit() -> None:
    kernel = hvt("test_globals")
    with GdbTender(kernel) as tender:
        gdb = run_gdb(
            kernel,
            [
                "break solo5_app_main",
                "continue",
                "bt",
                "print message",
                "next",
                "set $r12 = 0x1234abcd5678",
                "info registers r12",
                "set $r13 = 0x42",
                "print/x $r13",
                "watch message[0]",
                "continue",
                "delete",
                "continue",
            ],
            target=tender.target,
        )
    out = gdb.output
    assert "Breakpoint 1, solo5_app_main" in out, out
    assert re.search(r"#1 .* in bindings_run_app", out), out
    assert '$1 = "RUCCESS\\n"' in out, out
    # next: from the banner call to the loop.
    assert re.search(r"^12\s+for \(size_t i = 0", out, re.M), out
    # r12-r15 are real (upstream always sent 0).
    assert re.search(r"^r12\s+0x1234abcd5678\s", out, re.M), out
    assert "$2 = 0x42" in out, out
    assert "Hardware watchpoint 2: message[0]" in out, out
    assert "Old value = 82 'R'" in out and "New value = 83 'S'" in out, out
    assert "[Inferior 1 (Remote target) exited normally]" in out, out
    assert tender.status == 0, tender.stderr
    assert "SUCCESS" in tender.stdout
    assert f"target remote {tender.target}" in tender.first_line
    assert str(kernel) in tender.first_line


def test_exit_status_reaches_gdb_and_the_shell() -> None:
    kernel = hvt("test_exit")
    with GdbTender(kernel, args=["42"]) as tender:
        gdb = run_gdb(kernel, ["continue"], target=tender.target)
    assert "exited with code 052" in gdb.output, gdb.output
    assert tender.status == 42


def test_hardware_breakpoint_and_stepi() -> None:
    kernel = hvt("test_exit")
    with GdbTender(kernel, args=["7"]) as tender:
        gdb = run_gdb(
            kernel,
            [
                "hbreak solo5_app_main",
                "continue",
                "print/x $pc - (long)&solo5_app_main",
                "stepi",
                "print/x $pc - (long)&solo5_app_main",
                "delete",
                "continue",
            ],
            target=tender.target,
        )
    out = gdb.output
    assert "Hardware assisted breakpoint 1 at" in out, out
    assert "Breakpoint 1, solo5_app_main" in out, out
    assert "$1 = 0x0" in out, out
    # One instruction further: a nonzero offset inside the function.
    m = re.search(r"\$2 = 0x([0-9a-f]+)", out)
    assert m is not None and 0 < int(m.group(1), 16) < 16, out
    assert "exited with code 07" in out, out
    assert tender.status == 7


def test_fpu_sse_and_segment_registers_round_trip() -> None:
    kernel = hvt("test_hello")
    with GdbTender(kernel) as tender:
        gdb = run_gdb(
            kernel,
            [
                # Not the reset value (0x1f80): FZ set, so a write that
                # does not stick shows.
                "set $mxcsr = 0x9f80",
                "set $xmm3.v2_int64[1] = 0x1122334455667788",
                "set $st2 = 1.5",
                "set $fs_base = 0x123000",
                "info registers fctrl mxcsr fs_base",
                "print/x $xmm3.v2_int64[1]",
                "print $st2",
                "kill",
            ],
            target=tender.target,
        )
    out = gdb.output
    assert re.search(r"^fctrl\s+0x37f\s", out, re.M), out  # KVM's reset value
    assert re.search(r"^mxcsr\s+0x9f80\s", out, re.M), out
    assert re.search(r"^fs_base\s+0x123000\s", out, re.M), out
    assert "$1 = 0x1122334455667788" in out, out
    assert "$2 = 1.5" in out, out
    assert tender.status == 1
    assert "gdb: the debugger killed the guest" in tender.stderr


def test_detach_lets_the_guest_finish() -> None:
    kernel = hvt("test_exit")
    with GdbTender(kernel, args=["3"]) as tender:
        gdb = run_gdb(kernel, ["break solo5_app_main", "continue", "detach"], target=tender.target)
    assert "Breakpoint 1, solo5_app_main" in gdb.output, gdb.output
    assert "detached" in gdb.output, gdb.output
    assert tender.status == 3


def test_a_fatal_exit_stops_in_gdb_first() -> None:
    # test_hostile argro passes a hypercall a pointer into its .rodata for
    # the tender to write: an invalid guest access, fatal on any KVM.
    kernel = hvt("test_hostile")
    with GdbTender(kernel, ["argro"]) as tender:
        gdb = run_gdb(kernel, ["continue", "bt 1", "continue"], target=tender.target)
    out = gdb.output
    assert "Program received signal SIGSEGV" in out, out
    assert "#0 " in out and "in hypercall " in out, out
    assert "Program terminated with signal SIGSEGV" in out, out
    assert tender.status == 1
    assert "Invalid guest access" in tender.stderr


def _packet(data: str) -> bytes:
    return b"$%s#%02x" % (data.encode(), sum(data.encode()) & 0xFF)


def _exchange(sock: socket.socket, data: str) -> str:
    """Sends a packet, acks the reply, returns its payload."""
    sock.sendall(_packet(data))
    buf = b""
    while not re.search(rb"\$([^#]*)#[0-9a-f]{2}", buf):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        buf += chunk
    sock.sendall(b"+")
    m = re.search(rb"\$([^#]*)#[0-9a-f]{2}", buf)
    assert m is not None and buf.startswith(b"+"), buf
    return m.group(1).decode()


def _seccomp_mode(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Seccomp:"):
            return line.split()[1]
    return "?"


def test_raw_protocol_bounds_and_sandbox() -> None:
    kernel = hvt("test_hello")
    with GdbTender(kernel) as tender:
        sock = socket.create_connection((tender.addr, tender.port), timeout=30)
        with sock:
            assert _exchange(sock, "?") == "S05"
            # The filter is in place while the debugger is served.
            deadline = time.monotonic() + 10
            while _seccomp_mode(tender.pid) != "2" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _seccomp_mode(tender.pid) == "2"
            regs = _exchange(sock, "g")
            assert len(regs) == 2 * 552, regs  # rip is the ELF entry point
            # Reads are checked against guest memory (2 MiB here).
            assert _exchange(sock, "m1ffffc,4") != "E01"
            assert _exchange(sock, "m1ffffe,4") == "E01"
            assert _exchange(sock, "mffffffffffffffff,2") == "E01"
            assert _exchange(sock, "M200000,1:00") == "E01"
            assert _exchange(sock, "Z0,300000,1") == "E01"
            assert _exchange(sock, "Z2,100001,4") == "E01"  # unaligned
            assert _exchange(sock, "qAttached") == "0"
            assert _exchange(sock, "vUnknownPacket") == ""
            sock.sendall(_packet("k"))
    assert tender.status == 1


def test_without_gdb_it_runs_like_solo5_hvt() -> None:
    # Without the options no hook is set: the guest runs at CPL3 (test_fpu
    # passes on kvm-pvm only there) under solo5-hvt's own policy.
    from support.guest import run

    result = run([HVT_DEBUG, "--mem=2", hvt("test_fpu")])
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--gdb-port=abc", "Malformed argument to --gdb-port: `abc'"),
        ("--gdb-port=65536", "Malformed argument to --gdb-port: `65536'"),
        ("--gdb-port=", "Malformed argument to --gdb-port: `'"),
        ("--gdb-addr=localhost", "--gdb-addr: invalid address `localhost'"),
    ],
)
def test_bad_gdb_options(option: str, message: str) -> None:
    from support.guest import run

    result = run([HVT_DEBUG, "--mem=2", option, hvt("test_hello")], timeout=20)
    assert result.status == 1, result.describe()
    assert result.stderr == f"solo5-hvt-debug: {message} (0 to 65535; 0 picks a free one)\n" or (
        result.stderr.startswith(f"solo5-hvt-debug: {message}") and result.stderr.count("\n") == 1
    ), result.describe()
    assert result.stdout == ""


def test_port_in_use() -> None:
    from support.guest import run

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run([HVT_DEBUG, "--mem=2", f"--gdb-port={port}", hvt("test_hello")], timeout=20)
    assert result.status == 1, result.describe()
    assert result.stderr == (
        f"solo5-hvt-debug: --gdb: cannot listen on 127.0.0.1 port {port}: Address already in use\n"
    ), result.describe()


KVM_PVM = Path("/sys/module/kvm_pvm").exists()


@pytest.mark.skipif(
    KVM_PVM,
    reason="kvm-pvm emulates guest CPL0 code and its emulator does not report data "
    "breakpoints: measured with tests/debug/probe/kvm_guestdbg_probe.c, a store to an "
    "address DR0/DR7 watch completes without KVM_EXIT_DEBUG (write watchpoints still "
    "work: the server checks them by stepping)",
)
def test_read_watchpoint_through_dr0_3() -> None:
    kernel = hvt("test_globals")
    with GdbTender(kernel) as tender:
        gdb = run_gdb(
            kernel,
            ["break solo5_app_main", "continue", "rwatch message[0]", "continue", "kill"],
            target=tender.target,
        )
    assert "read watchpoint 2: message[0]" in gdb.output, gdb.output
    assert "Value = 82 'R'" in gdb.output, gdb.output


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this host")
def test_gdb_addr_ipv6() -> None:
    kernel = hvt("test_hello")
    with GdbTender(kernel, extra=["--gdb-addr=::1"]) as tender:
        assert tender.addr == "::1"
        assert f"target remote [::1]:{tender.port}" in tender.first_line
        with socket.create_connection(("::1", tender.port), timeout=30) as sock:
            assert _exchange(sock, "?") == "S05"
            sock.sendall(_packet("k"))
    assert tender.status == 1


def test_solo5_hvt_has_no_debugging_code() -> None:
    from support.guest import run

    plain = HVT_DEBUG.with_name("solo5-hvt")
    assert b"waiting for a debugger" not in plain.read_bytes()
    assert b"dumpcore" not in plain.read_bytes()
    assert "Compiled-in modules: core block net\n" in run([plain, "--help"]).stdout
    assert "Compiled-in modules: core block net gdb dumpcore\n" in run([HVT_DEBUG, "--help"]).stdout
