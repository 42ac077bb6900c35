"""solo5-hvt --busy-poll: how long a guest waiting for frames watches its RX
rings before it sleeps in a POLL exit (docs/kvm-pvm.md, "I/O rings").

While the guest spins, the tender's I/O thread sleeps on the taps as well as
on its kick, so that a frame wakes it (as it would wake solo5-spt) and
reaches the guest with no exit at all.  What shows it without timing
anything: the vCPU thread (the tender's main thread) sleeps only in POLL, so
its voluntary context switches count the guest's POLL exits.  With frames
20 ms apart, a 1 s bound lets the guest's adaptive window grow past 20 ms
and then wait for every frame without an exit; --busy-poll=0 makes every
wait a POLL exit.  Were the frames not delivered while the guest spins,
every ping would end the spin in POLL and the counts would match.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from devices.helpers import need_netns
from support.guest import guest_path, run, wait_for_output
from support.netns import Netns, Tap, netns_with_taps

from solo5_toolchain import abi

from .hvt_env import HVT, requires_hvt

pytestmark = requires_hvt

WARMUP_PINGS = 20  # the window doubles per ping from 0.3 ms past 20 ms
PINGS = 30


@pytest.mark.parametrize(
    "value", ["", "abc", "-1", "1e3", str(abi.HVT_BUSY_POLL_US_MAX + 1), "99999999999"]
)
def test_busy_poll_malformed(value: str) -> None:
    result = run([HVT, f"--busy-poll={value}", guest_path("test_hello", "hvt")])
    assert result.status == 1, result.describe()
    assert "solo5-hvt: Malformed argument to --busy-poll" in result.stderr, result.describe()
    assert "usage: solo5-hvt" in result.stderr, result.describe()


@pytest.mark.parametrize("value", ["0", str(abi.HVT_BUSY_POLL_US_MAX)])
def test_busy_poll_accepted(value: str) -> None:
    result = run(
        [HVT, "--mem=2", f"--busy-poll={value}", guest_path("test_hello", "hvt"), "Hello_Solo5"]
    )
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout, result.describe()


def test_busy_poll_in_help() -> None:
    result = run([HVT, "--help"])
    assert result.status == 0, result.describe()
    assert f"[ --busy-poll={abi.HVT_BUSY_POLL_US_DEFAULT} ] (microseconds a guest waiting" in (
        result.stdout
    ), result.describe()


def voluntary_switches(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise AssertionError(f"/proc/{pid}/status has no voluntary_ctxt_switches")


def ping(ns: Netns, count: int) -> str:
    argv = ["ping", "-q", "-c", str(count), "-i", "0.02", "-W", "5", "10.0.0.2"]
    out = subprocess.run(ns.command(argv), capture_output=True, text=True, timeout=120)
    assert f"{count} packets transmitted, {count} received" in out.stdout, out.stdout + out.stderr
    return out.stdout


@contextlib.contextmanager
def serving_test_net(options: list[str], log: Path) -> Iterator[tuple[Netns, int]]:
    """test_net on solo5-hvt with `options`, serving in its own namespace:
    (the namespace, the tender's pid, which is its vCPU thread's)."""
    argv = [
        str(HVT),
        "--mem=2",
        *options,
        "--net:service0=tap100",
        "--",
        str(guest_path("test_net", "hvt")),
    ]
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns, open(log, "wb") as out:
        guest = subprocess.Popen(ns.command(argv), stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_output(guest, log, b"serving")
            yield ns, guest.pid
        finally:
            guest.kill()
            guest.wait()


def poll_sleeps_during_pings(busy_poll: int, tmp: Path) -> int:
    """The vCPU thread's sleeps while test_net answers PINGS pings."""
    log = tmp / f"net-{busy_poll}.log"
    with serving_test_net([f"--busy-poll={busy_poll}"], log) as (ns, pid):
        ping(ns, WARMUP_PINGS)
        before = voluntary_switches(pid)
        ping(ns, PINGS)
        return voluntary_switches(pid) - before


def test_spinning_guest_gets_frames_without_exits(tmp_path: Path) -> None:
    need_netns()
    spinning = poll_sleeps_during_pings(1000000, tmp_path)
    sleeping = poll_sleeps_during_pings(0, tmp_path)
    assert sleeping >= PINGS, f"--busy-poll=0: {sleeping} POLL sleeps for {PINGS} pings"
    # A few for the host's own reasons (page faults, preemption), not one a ping.
    assert spinning <= PINGS // 5, f"--busy-poll=1000000: {spinning} sleeps for {PINGS} pings"


def cpus_allowed(pid: int, tid: int) -> set[int]:
    for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cpus: set[int] = set()
            for part in line.split()[1].split(","):
                lo, _, hi = part.partition("-")
                cpus.update(range(int(lo), int(hi or lo) + 1))
            return cpus
    raise AssertionError(f"/proc/{pid}/task/{tid}/status has no Cpus_allowed_list")


def test_io_thread_keeps_off_the_vcpu_cpu(tmp_path: Path) -> None:
    """hvt_affinity.c: the I/O thread takes the vCPU thread's CPU out of its
    own affinity (where the tender has two CPUs or more); the vCPU thread
    (the main thread) keeps them all."""
    need_netns()
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip(f"one CPU allowed ({sorted(allowed)}): nothing to keep apart")
    with serving_test_net([], tmp_path / "net.log") as (ns, pid):
        ping(ns, 5)
        vcpu, io = sorted(int(t.name) for t in Path(f"/proc/{pid}/task").iterdir())[:2]
        assert vcpu == pid
        assert cpus_allowed(pid, vcpu) == allowed
        io_cpus = cpus_allowed(pid, io)
        assert len(allowed - io_cpus) == 1, (sorted(allowed), sorted(io_cpus))
