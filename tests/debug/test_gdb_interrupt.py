"""Interrupting a running guest (gdb's Ctrl-C) under solo5-hvt-debug --gdb.

gdb sends one unframed byte, 0x03, while the guest runs; the server must stop
the vCPU promptly and report SIGINT with the registers where it stopped.  The
guest, test_spin, spins without any exit (or, with `yield`, waits in
solo5_yield() with 60 s deadlines) until `spin_stop` is set.  Real gdb is
interrupted the way a terminal does it (SIGINT to gdb); the raw protocol
tests check the stub itself: repeated interrupts, stray bytes, the byte
arriving with the continue packet, detaching and disconnecting afterwards.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from hvt.hvt_env import kvm_problem
from support.guest import guest_path

from .debug_support import GDB, TIMEOUT, GdbTender, Rsp, gdb_missing

_PROBLEM = kvm_problem() or gdb_missing()
pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=f"cannot debug hvt: {_PROBLEM}")

# An interrupt must stop the guest well within this (it takes milliseconds;
# the yield case would otherwise take the rest of a 60 s deadline).
PROMPT = 5.0
RIP_OFFSET = 16 * 8  # rip follows the 16 general registers in `g`


def kernel() -> Path:
    return guest_path("test_spin", "hvt")


def symbol(name: str) -> tuple[int, int]:
    """(address, size) of `name` in test_spin's symbol table."""
    with kernel().open("rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        syms = symtab.get_symbol_by_name(name)
        assert syms, f"no {name} in {kernel()}"
        return int(syms[0]["st_value"]), int(syms[0]["st_size"])


def inside(addr: int, function: str) -> bool:
    start, size = symbol(function)
    return start <= addr < start + size


def seccomp_mode(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Seccomp:"):
            return line.split()[1]
    return "?"


def rip(rsp: Rsp) -> int:
    regs = bytes.fromhex(rsp.exchange("g"))
    return int.from_bytes(regs[RIP_OFFSET : RIP_OFFSET + 8], "little")


def read_u64(rsp: Rsp, name: str) -> int:
    addr, _ = symbol(name)
    return int.from_bytes(bytes.fromhex(rsp.exchange(f"m{addr:x},8")), "little")


def set_spin_stop(rsp: Rsp) -> None:
    addr, size = symbol("spin_stop")
    assert rsp.exchange(f"M{addr:x},{size:x}:" + "01" + "00" * (size - 1)) == "OK"


def interrupt(rsp: Rsp) -> tuple[str, float]:
    """Sends the interrupt byte; returns the stop reply and how long it took."""
    t0 = time.monotonic()
    rsp.sock.sendall(b"\x03")
    stop = rsp.reply(timeout=TIMEOUT)
    return stop, time.monotonic() - t0


@contextmanager
def session(args: list[str] | None = None) -> Iterator[tuple[GdbTender, Rsp]]:
    """solo5-hvt-debug on test_spin `args`, and a raw protocol client on it."""
    with (
        GdbTender(kernel(), args=args or []) as tender,
        socket.create_connection((tender.addr, tender.port), timeout=TIMEOUT) as sock,
    ):
        yield tender, Rsp(sock)


def gdb_interrupted(args: list[str], commands: list[str]) -> tuple[str, GdbTender]:
    """Real gdb: `continue`, SIGINT to gdb once the guest spins, then `commands`."""
    assert GDB is not None
    with GdbTender(kernel(), args=args) as tender:
        argv = [GDB, "-batch", "-nx", "-ex", "set confirm off", "-ex", "set pagination off"]
        argv += ["-ex", f"target remote {tender.target}", "-ex", "continue"]
        for c in commands:
            argv += ["-ex", c]
        argv.append(str(kernel()))
        gdb = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            tender.expect("spinning")
            time.sleep(0.5)  # well inside the loop
            gdb.send_signal(signal.SIGINT)  # what the terminal does on Ctrl-C
            out, _ = gdb.communicate(timeout=TIMEOUT)
        finally:
            if gdb.poll() is None:
                gdb.kill()
                gdb.communicate()
    return out, tender


def test_ctrl_c_in_gdb_stops_a_spinning_guest() -> None:
    out, tender = gdb_interrupted(
        [],
        ["bt", "info registers rip", "x/i $pc", "set var spin_stop = 1", "continue"],
    )
    assert "Program received signal SIGINT, Interrupt." in out, out
    # gdb leaves out "0x... in" when the pc is at the start of a line.
    assert re.search(r"^#0\s+(0x[0-9a-f]+ in )?spin_loop \(\) at .*test_spin\.c", out, re.M), out
    assert re.search(r"^#1 .* in solo5_app_main ", out, re.M), out
    m = re.search(r"^rip\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+ <spin_loop\+\d+>", out, re.M)
    assert m is not None and inside(int(m.group(1), 16), "spin_loop"), out
    assert re.search(r"^=> 0x[0-9a-f]+ <spin_loop\+\d+>:", out, re.M), out
    # continue resumes: the guest sees spin_stop and ends normally.
    assert "[Inferior 1 (Remote target) exited normally]" in out, out
    assert tender.status == 0, tender.stderr
    assert "SUCCESS" in tender.stdout


def test_ctrl_c_in_gdb_while_the_guest_waits_in_yield() -> None:
    """Stopped in its POLL hypercall; after `continue` the same
    solo5_yield() waits on until its 3 s deadline (the guest fails if it
    returns before: the interrupt cut the host's wait short, not the
    guest's), then the guest sees spin_stop and ends."""
    out, tender = gdb_interrupted(
        ["yield", "3"],
        ["bt", "set var spin_stop = 1", "continue"],
    )
    assert "Program received signal SIGINT, Interrupt." in out, out
    assert re.search(r"^#\d .* in solo5_yield \(", out, re.M), out
    assert re.search(r"^#\d .* in spin_yield \(", out, re.M), out
    assert "[Inferior 1 (Remote target) exited normally]" in out, out
    assert tender.status == 0, tender.stdout + tender.stderr
    assert "SUCCESS" in tender.stdout


def test_interrupt_at_protocol_level_repeatedly_under_the_filter() -> None:
    with session() as (tender, rsp):
        assert rsp.exchange("?") == "S05"
        counts = []
        for round_ in range(3):
            rsp.send("c")
            if round_ == 0:
                tender.expect("spinning")
            time.sleep(0.3)
            # Stray bytes while running (gdb sends none) are dropped.
            rsp.sock.sendall(b"+-x")
            stop, took = interrupt(rsp)
            assert stop == "T02", stop
            assert took < PROMPT, took
            assert inside(rip(rsp), "spin_loop")
            counts.append(read_u64(rsp, "spin_count"))
        # The guest really ran between the stops, and still under the filter.
        assert counts[0] < counts[1] < counts[2], counts
        assert seccomp_mode(tender.pid) == "2"
        set_spin_stop(rsp)
        rsp.send("c")
        assert rsp.reply() == "W00"
    assert tender.status == 0, tender.stderr
    assert "SUCCESS" in tender.stdout


def test_interrupt_byte_with_the_continue_packet_is_not_lost() -> None:
    with session() as (tender, rsp):
        assert rsp.exchange("?") == "S05"
        # The byte right behind the packet, in one segment: it stops the
        # guest before its first instruction runs.
        rsp.sock.sendall(Rsp.packet("c") + b"\x03")
        assert rsp.reply(timeout=PROMPT) == "T02"
        assert rip(rsp) == symbol("_start")[0]
        # While stopped, the byte is ignored: the next packet is served.
        rsp.sock.sendall(b"\x03")
        assert rsp.exchange("?") == "T02"
        rsp.send("k")
    assert tender.status == 1
    assert "gdb: the debugger killed the guest" in tender.stderr


def test_interrupt_a_guest_waiting_in_yield_promptly() -> None:
    with session(["yield"]) as (tender, rsp):
        assert rsp.exchange("?") == "S05"
        rsp.send("c")
        tender.expect("spinning in solo5_yield")
        time.sleep(0.5)  # inside its first 60 s POLL
        stop, took = interrupt(rsp)
        assert stop == "T02", stop
        assert took < PROMPT, took
        assert inside(rip(rsp), "hvt_hypercall")
        assert read_u64(rsp, "spin_count") == 0  # the first yield
        # Again: the guest is still in its first yield (the bindings poll
        # again after an early POLL), and the second interrupt is as prompt.
        rsp.send("c")
        time.sleep(0.5)
        stop, took = interrupt(rsp)
        assert stop == "T02" and took < PROMPT, (stop, took)
        assert inside(rip(rsp), "hvt_hypercall")
        assert read_u64(rsp, "spin_count") == 0
        rsp.send("k")
    assert tender.wait() == 1
    assert "gdb: the debugger killed the guest" in tender.stderr


def test_detach_after_an_interrupt() -> None:
    with session() as (tender, rsp):
        rsp.send("c")
        tender.expect("spinning")
        assert interrupt(rsp)[0] == "T02"
        set_spin_stop(rsp)
        assert rsp.exchange("D") == "OK"
    # The guest ran on undebugged (and the closed connection did not stop it).
    assert tender.status == 0, tender.stderr
    assert "SUCCESS" in tender.stdout


def test_detach_hangs_up() -> None:
    """After `D` the server closes the connection while the guest runs on:
    nothing the peer sends later can wake the vCPU or the guest's POLL."""
    with session(["yield"]) as (tender, rsp):
        rsp.send("c")
        tender.expect("spinning in solo5_yield")
        assert interrupt(rsp)[0] == "T02"
        assert rsp.exchange("D") == "OK"
        rsp.sock.settimeout(PROMPT)
        assert rsp.sock.recv(1) == b""  # EOF: hung up
        assert tender.proc is not None and tender.proc.poll() is None  # runs on
        tender.proc.kill()
    assert tender.status == 128 + signal.SIGKILL


def test_debugger_gone_while_the_guest_waits() -> None:
    with GdbTender(kernel(), args=["yield"]) as tender:
        sock = socket.create_connection((tender.addr, tender.port), timeout=TIMEOUT)
        rsp = Rsp(sock)
        rsp.send("c")
        tender.expect("spinning in solo5_yield")
        sock.close()  # no detach: gdb died
        # Noticed at once, not after the guest's 60 s deadline.
        tender.expect("gdb: the debugger is gone; the guest runs on", "stderr", PROMPT)
        time.sleep(0.5)
        assert tender.proc is not None and tender.proc.poll() is None  # not killed
        assert seccomp_mode(tender.pid) == "2"
        tender.proc.kill()
        assert tender.wait() == 128 + signal.SIGKILL
