"""The xen bindings' console ring writer, clock arithmetic and page tables
on the host, against Python models (build/tests/unit/xen_unit_check: the
bindings' C with a fake Xen).  These need no Xen."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support.paths import BUILD

CHECK = BUILD / "tests" / "unit" / "xen_unit_check"
U64 = 2**64
U32 = 2**32
RING = 2048  # xencons_interface.out
NSEC = 10**9
PAGE = 0x1000
NX_OFF = 0


class Harness:
    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)

    def ask(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer, f"no answer to {line[:80]!r} (status {self.proc.poll()})"
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=10) == 0


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    if not CHECK.is_file():
        pytest.skip(f"{CHECK} is not built (the xen target is not built here)")
    h = Harness(CHECK)
    yield h
    h.close()


# --- pvclock: ns = system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32 ---

def pvclock_model(ts: int, system: int, mul: int, shift: int, tsc: int) -> int:
    delta = (tsc - ts) % U64
    delta = delta >> -shift if shift < 0 else (delta << shift) % U64
    return (system + ((delta * mul) >> 32)) % U64


@settings(max_examples=300, deadline=None)
@given(ts=st.integers(0, U64 - 1), system=st.integers(0, U64 - 1),
       mul=st.integers(0, U32 - 1), shift=st.integers(-31, 31), tsc=st.integers(0, U64 - 1))
def test_pvclock_scale(harness: Harness, ts: int, system: int, mul: int, shift: int,
                       tsc: int) -> None:
    got = harness.ask(f"scale {ts} {system} {mul} {shift} {tsc}")
    assert int(got) == pvclock_model(ts, system, mul, shift, tsc)


def test_pvclock_real_scales(harness: Harness) -> None:
    # A 2.5 GHz TSC as Xen describes it: mul = 2^32 * 0.4 ns, shift 0.
    mul = int(0.4 * U32)
    assert int(harness.ask(f"scale 1000 0 {mul} 0 {1000 + 2_500_000_000}")) == pytest.approx(
        NSEC, abs=1)
    # A slow TSC (shift > 0) and a fast one (shift < 0), an hour in.
    hour = 3600 * NSEC
    for shift, mul, ticks in ((1, U32 - 1, 3600 * 500_000_000),
                              (-2, 1 << 30, 3600 * 16_000_000_000)):
        expect = pvclock_model(0, 0, mul, shift, ticks)
        assert int(harness.ask(f"scale 0 0 {mul} {shift} {ticks}")) == expect
        assert abs(expect - hour) < hour // 10**8


@pytest.mark.parametrize(("updates", "odd", "reads"), [(0, 0, 1), (1, 0, 2), (3, 0, 4),
                                                        (0, 1, 2), (2, 1, 4)])
def test_pvclock_retries_while_xen_updates(harness: Harness, updates: int, odd: int,
                                           reads: int) -> None:
    # A read that saw the version change, or an odd version, is done again.
    ns, tsc_reads = harness.ask(f"read {updates} {odd}").split()
    assert (int(ns), int(tsc_reads)) == (pvclock_model(5000, 7, 1 << 31, 1, 6000), reads)


@pytest.mark.parametrize(("hi", "sec", "nsec"), [(0, 0, 0), (0, 1_700_000_000, 999_999_999),
                                                 (1, 5, 7), (3, U32 - 1, 1)])
def test_wallclock_base_uses_the_high_seconds(harness: Harness, hi: int, sec: int,
                                              nsec: int) -> None:
    assert int(harness.ask(f"wall 2 {hi} {sec} {nsec}")) == ((hi << 32) + sec) * NSEC + nsec


# --- The PV console ring ---

def crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=1, max_size=6000),
       start=st.one_of(st.integers(0, U32 - 1), st.integers(U32 - 3000, U32 - 1)),
       drain=st.integers(1, 5000))
def test_ring_delivers_everything_in_order(harness: Harness, data: bytes, start: int,
                                           drain: int) -> None:
    taken, kicks, yields, state = harness.ask(f"ring {start} {drain} {data.hex()}").split()
    assert bytes.fromhex(taken) == crlf(data)
    # Synchronous: the daemon has taken everything when the write returns.
    assert state == "empty"
    # One kick per batch published; the writer yields only while it waits.
    assert int(kicks) >= 1 and int(kicks) <= int(yields) + 1
    assert int(yields) >= -(-len(crlf(data)) // drain)


def test_ring_lf_never_split_from_its_cr(harness: Harness) -> None:
    # 2047 bytes then LF: the CR LF pair must wait for room for both.
    data = b"x" * 2047 + b"\n" + b"y"
    taken, _, _, state = harness.ask(f"ring 0 1 {data.hex()}").split()
    assert bytes.fromhex(taken) == crlf(data) and state == "empty"


def test_ring_broken_by_the_daemon_returns(harness: Harness) -> None:
    # out_cons ahead of out_prod: the writer gives up instead of spinning.
    taken, kicks, _, state = harness.ask(f"ring 0 0 {(b'z' * 3000).hex()}").split()
    assert taken == "-" and int(kicks) == 1 and state == "left"


def test_without_a_ring_the_bytes_go_to_xens_console_unchanged(harness: Harness) -> None:
    data = b"Solo5: line one\nline two\r\n\x00\xff"
    assert bytes.fromhex(harness.ask(f"io {data.hex()}")) == data


@pytest.mark.parametrize(("pfn", "port", "rc", "line"), [
    # A domU's ring: upstream's line, the ring's address in 16 upper-case digits.
    (0xFEFFF, 3, 0, "Solo5: Xen console: port 0x3, ring @0x00000000FEFFF000"),
    # The hardware domain has none; a refused parameter is no ring either.
    (0, 0, 0, "Solo5: Xen console: none, using Xen's own (console_io)"),
    (0xFEFFF, 3, -22, "Solo5: Xen console: none, using Xen's own (console_io)"),
])
def test_console_found_from_xens_parameters(harness: Harness, pfn: int, port: int, rc: int,
                                            line: str) -> None:
    assert harness.ask(f"console {pfn} {port} {rc}") == line


# --- Page tables ---

def pt_model(stext: int, etext: int, erodata: int, tables: tuple[int, int], nx: bool,
             addr: int) -> str:
    if addr >= 5 << 30 or addr < stext or tables[0] <= addr < tables[1]:
        return "-"
    if addr < etext:
        return "rx"
    if addr < erodata:
        return "r" if nx else "rx"
    return "rw" if nx else "rwx"


UPPER_TABLES = 2 + 5  # L4, L3, five L2s
LARGE = 2 << 20


@settings(max_examples=150, deadline=None)
# Tables that start 7 pages below 2 MiB: their first L1 page pushes them
# across the boundary, so they take a second one.
@example(pages=(1, 1, 247), nx=True, probes=[0x1F9000 + 8 * PAGE])
@given(pages=st.tuples(st.integers(1, 3000), st.integers(0, 3000), st.integers(0, 3000)),
       nx=st.booleans(), probes=st.lists(st.integers(0, (5 << 30) + (1 << 30)), min_size=1,
                                         max_size=40))
def test_page_tables(harness: Harness, pages: tuple[int, int, int], nx: bool,
                     probes: list[int]) -> None:
    stext = 0x100000
    etext = stext + pages[0] * PAGE
    erodata = etext + pages[1] * PAGE
    tables = erodata + pages[2] * PAGE  # after the data and bss
    image = f"{stext} {etext} {erodata} {tables} {int(nx)}"
    n = int(harness.ask(f"pt {image}"))
    end = tables + n * PAGE
    # 4 KiB pages (one L1 page per 2 MiB) over the rodata and over the
    # tables themselves, and not one L1 page more than that takes.
    small = n - UPPER_TABLES
    assert small * LARGE >= max(erodata, end) > (small - 1) * LARGE
    # Probe around each boundary as well as at random.
    edges = [stext - 1, stext, etext - 1, etext, erodata - 1, erodata, tables - 1, tables,
             end - 1, end, 0, (5 << 30) - 1]
    addrs = [a for a in edges + probes if a >= 0]
    answer = harness.ask(f"pt {image} " + " ".join(str(a) for a in addrs)).split()
    assert int(answer[0]) == n
    assert answer[1:] == [pt_model(stext, etext, erodata, (tables, end), nx, a) for a in addrs]

