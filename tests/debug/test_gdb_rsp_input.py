"""The GDB server's input is untrusted (anyone local may connect): packets
gdb itself never sends must be refused, not half-run.  Raw protocol against
solo5-hvt-debug --gdb on test_hello, which stays stopped at its entry."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hvt.hvt_env import kvm_problem
from support.guest import guest_path

from .debug_support import TIMEOUT, GdbTender, Rsp

_PROBLEM = kvm_problem()
pytestmark = pytest.mark.skipif(_PROBLEM is not None, reason=f"cannot debug hvt: {_PROBLEM}")

PACKET_MAX = 4096  # tenders/hvt/hvt_debug.h HVT_GDB_PACKET_MAX, our PacketSize
MXCSR = 56  # register number (tenders/hvt/hvt_gdb_x86_64.c)
TEXT = 0x100000  # the first byte of test_hello's .text


@contextmanager
def stopped_at_entry() -> Iterator[Rsp]:
    with (
        GdbTender(guest_path("test_hello", "hvt")) as tender,
        socket.create_connection((tender.addr, tender.port), timeout=TIMEOUT) as sock,
    ):
        rsp = Rsp(sock)
        assert rsp.exchange("?") == "S05"
        yield rsp
        rsp.send("k")
    assert tender.status == 1


def test_a_packet_longer_than_packet_size_is_not_run() -> None:
    """A memory write whose data runs past PacketSize: acked, answered as
    unknown (empty), and the bytes it would have written are not there."""
    with stopped_at_entry() as rsp:
        before = rsp.exchange(f"m{TEXT:x},1")
        assert rsp.exchange(f"M{TEXT:x},1:cc" + "0" * (PACKET_MAX + 100)) == ""
        assert rsp.exchange(f"m{TEXT:x},1") == before
        assert rsp.exchange("?") == "S05"  # still serving


def test_register_numbers_are_not_truncated() -> None:
    with stopped_at_entry() as rsp:
        rip = rsp.exchange("p10")
        assert len(rip) == 16
        assert rsp.exchange("p100000010") == "E01"  # 2^32 + 16 is no rip
        assert rsp.exchange("P100000010=" + "00" * 8) == "E01"
        assert rsp.exchange("p10") == rip


def test_odd_hex_in_g_is_refused() -> None:
    with stopped_at_entry() as rsp:
        regs = rsp.exchange("g")
        assert rsp.exchange("G" + regs[:-1]) == "E01"
        assert rsp.exchange("G0") == "E01"
        assert rsp.exchange("g") == regs


def test_mxcsr_writes_stick() -> None:
    """Through the XSAVE image: the SSE component must be marked present,
    or KVM loads its initial MXCSR (0x1f80) and the write is lost."""
    with stopped_at_entry() as rsp:
        assert rsp.exchange(f"p{MXCSR:x}") == "801f0000"
        assert rsp.exchange(f"P{MXCSR:x}=809f0000") == "OK"
        assert rsp.exchange(f"p{MXCSR:x}") == "809f0000"
        # Reserved bits: KVM refuses the image, and the server says so.
        assert rsp.exchange(f"P{MXCSR:x}=ffffffff") == "E01"
        assert rsp.exchange(f"p{MXCSR:x}") == "809f0000"


def test_selectors_are_read_only() -> None:
    """cs (register 18) can be read and written with its own value; a new
    value is refused (E01), not acknowledged and dropped."""
    with stopped_at_entry() as rsp:
        cs = rsp.exchange("p12")
        assert rsp.exchange(f"P12={cs}") == "OK"
        assert rsp.exchange("P12=2b000000") == "E01"
        assert rsp.exchange("p12") == cs
