#!/usr/bin/env python3
"""Network and block benchmarks, solo5-hvt and solo5-spt side by side.

    scons -Q -j2 && python3 bench/devices.py [--quick]

Needs root (a private network namespace with a tap, as the tests make) and
the built tree (build/stage, build/tests/bench_*).  Builds its two host
helpers (bench/blk_host.c, bench/net_blast.c) into build/bench/.  Prints
Markdown tables (docs/performance.md, "Network" and "Block").  Not a test:
nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench_support import (
    HELPERS,
    STAGE_BIN,
    TENDERS,
    TOP,
    build_helper,
    check_built,
    field_of,
    guest_argv,
    sh,
    start_guest,
    stop,
)
from support.netns import Netns, Tap, netns_with_taps

MEM = 16  # MiB: room for 1 MiB transfer buffers on both tenders
KIB = 1024
MIB = 1024 * KIB


# --- block -------------------------------------------------------------------------


@dataclass
class BlockRow:
    op: str
    size: int
    mb_s: dict[str, float]  # host, hvt, spt


def block_bench(image: Path, sizes: list[int], volume: int, runs: int) -> list[BlockRow]:
    rows = []
    for op in ("read", "scattered", "write"):
        # Scattered reads of 1 MiB are sequential ones by another name.
        for size in [n for n in sizes if op != "scattered" or n < MIB]:
            total = min(volume, size * 32768)
            best: dict[str, float] = {}
            for _ in range(runs):
                results = {
                    "host": sh([HELPERS / "blk_host", op, image, str(size), str(total)]),
                    **{
                        t: sh(
                            guest_argv(
                                t,
                                "bench_blk",
                                [f"--block:storage={image}"],
                                [op, str(size), str(total)],
                                MEM,
                            )
                        )
                        for t in TENDERS
                    },
                }
                for who, out in results.items():
                    rate = field_of(out, "bytes") / field_of(out, "ns") * 1e9 / MIB
                    best[who] = max(best.get(who, 0.0), rate)
            rows.append(BlockRow(op, size, best))
    return rows


def print_block(rows: list[BlockRow]) -> None:
    print("| op | bytes per call | host MiB/s | hvt MiB/s | spt MiB/s | hvt/host | spt/host |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        h, v, s = r.mb_s["host"], r.mb_s["hvt"], r.mb_s["spt"]
        size = f"{r.size // KIB} KiB" if r.size >= KIB else f"{r.size} B"
        print(f"| {r.op} | {size} | {h:.0f} | {v:.0f} | {s:.0f} | {v / h:.2f} | {s / h:.2f} |")


# --- network -----------------------------------------------------------------------


RTT_PINGS = 300  # issue 13's ping-pong: ping -c 300 -i 0.002
NET = ["--net:service0=tap100"]
# solo5-hvt --busy-poll (µs) long enough for ping's 2 ms interval: the guest
# then waits for every ping without an exit, at the price of a CPU.
BUSY_POLL_RTT = 3000


@dataclass
class Pings:
    rtt_us: float  # ping -c RTT_PINGS -i 0.002, average
    cpu_pct: float  # the tender's CPU time meanwhile, % of one CPU
    flood: float  # pings/s, or 0 if not measured


def cpu_seconds(pid: int) -> float:
    """User + system time of every thread of pid so far."""
    ticks = 0
    for tid in Path(f"/proc/{pid}/task").iterdir():
        fields = (tid / "stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def ping_bench(ns: Netns, tender: str, tmp: Path, count: int, options: Sequence[str] = ()) -> Pings:
    """RTT, the tender's CPU meanwhile and (count > 0) the flood rate, against
    test_net."""
    argv = guest_argv(tender, "test_net", [*options, *NET], [], MEM)
    proc = start_guest(ns, argv, "serving", tmp / f"net-{tender}.log")
    try:
        sh(ns.command(["ping", "-c", "20", "-i", "0.01", "-q", "10.0.0.2"]))  # ARP, warm-up
        cpu, start = cpu_seconds(proc.pid), time.monotonic()
        out = sh(ns.command(["ping", "-c", str(RTT_PINGS), "-i", "0.002", "-q", "10.0.0.2"]))
        cpu_pct = 100 * (cpu_seconds(proc.pid) - cpu) / (time.monotonic() - start)
        rtt = float(re.search(r"= [\d.]+/([\d.]+)/", out).group(1)) * 1000  # type: ignore[union-attr]
        flood = 0.0
        if count:
            out = sh(ns.command(["ping", "-f", "-c", str(count), "-q", "10.0.0.2"]))
            ms = int(re.search(r"time (\d+)ms", out).group(1))  # type: ignore[union-attr]
            received = int(re.search(r"(\d+) received", out).group(1))  # type: ignore[union-attr]
            flood = received / ms * 1000
    finally:
        stop(proc)
    return Pings(rtt, cpu_pct, flood)


def rx_packets(ns: Netns) -> int:
    return int(sh(ns.command(["cat", "/sys/class/net/tap100/statistics/rx_packets"])))


def guest_to_host(ns: Netns, tender: str, size: int, count: int) -> tuple[float, int]:
    """(frames per second written by the guest, frames the host saw)."""
    before = rx_packets(ns)
    argv = guest_argv(tender, "bench_net", NET, ["tx", str(size), str(count)], MEM)
    out = sh(ns.command(argv))
    seen = rx_packets(ns) - before
    return field_of(out, "frames") / field_of(out, "ns") * 1e9, seen


def host_to_guest(
    ns: Netns, tender: str, size: int, count: int, tmp: Path, rate: int = 0
) -> tuple[float, int, int]:
    """(frames per second the guest received, frames received, frames sent);
    the host sends as fast as it can, or at `rate` frames/s in bursts."""
    log = tmp / f"rx-{tender}-{size}.log"
    argv = guest_argv(tender, "bench_net", NET, ["rx", str(count)], MEM)
    proc = start_guest(ns, argv, "ready", log)
    blast = [str(HELPERS / "net_blast"), "tap100", str(size), str(count)]
    try:
        sent = field_of(sh(ns.command(blast + ([str(rate)] if rate else []))), "frames")
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            stop(proc)
    out = log.read_text()
    frames, ns_ = field_of(out, "frames"), field_of(out, "ns")
    return (frames / ns_ * 1e9 if ns_ else 0.0), frames, sent


def print_pings(pings: dict[str, Pings], busy: Pings | None, flood: int) -> None:
    h, s = pings["hvt"], pings["spt"]
    rtt = f"ping-pong RTT, µs (ping -c {RTT_PINGS} -i 0.002, avg)"
    print("| measure | hvt | spt | hvt / spt |")
    print("|---|---:|---:|---:|")
    print(f"| {rtt} | {h.rtt_us:.0f} | {s.rtt_us:.0f} | {h.rtt_us / s.rtt_us:.2f} |")
    print(f"| tender CPU meanwhile, % of a CPU | {h.cpu_pct:.1f} | {s.cpu_pct:.1f} | |")
    if busy is not None:
        print(f"| {rtt}, hvt --busy-poll={BUSY_POLL_RTT} | {busy.rtt_us:.0f} | {s.rtt_us:.0f} | "
              f"{busy.rtt_us / s.rtt_us:.2f} |")  # fmt: skip
        print(f"| tender CPU meanwhile, % of a CPU | {busy.cpu_pct:.1f} | {s.cpu_pct:.1f} | |")
    print(f"| flood pings/s (ping -f -c {flood}) | {h.flood:.0f} | {s.flood:.0f} | "
          f"{h.flood / s.flood:.2f} |")  # fmt: skip
    print()


def bursts_at_spt_rate(ns: Netns, tmp: Path, frames: int) -> None:
    """Host to guest: the rate spt's guest reads at full speed, then both
    tenders at that rate (bursts of 32): what each delivered."""
    print(f"| frame | spt's rate, frames/s | tender | delivered of {frames} | dropped |")
    print("|---:|---:|---|---:|---:|")
    for size in (64, 1500):
        rate, _, _ = host_to_guest(ns, "spt", size, frames, tmp)
        for t in TENDERS:
            _, got, sent = host_to_guest(ns, t, size, frames, tmp, int(rate))
            print(f"| {size} B | {rate:.0f} | {t} | {got} (sent {sent}) | "
                  f"{100 * (sent - got) / sent:.1f} % |")  # fmt: skip
    print()


def net_bench(tmp: Path, flood: int, frames: int) -> None:
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        pings = {t: ping_bench(ns, t, tmp, flood) for t in TENDERS}
        busy = None
        if "--busy-poll" in sh([STAGE_BIN / "solo5-hvt", "--help"]):  # not before issue 13
            busy = ping_bench(ns, "hvt", tmp, 0, [f"--busy-poll={BUSY_POLL_RTT}"])
        print_pings(pings, busy, flood)
        print(f"| direction | frame | tender | frames/s | frames delivered of {frames} |")
        print("|---|---:|---|---:|---:|")
        for size in (64, 1500):
            for t in TENDERS:
                rate, seen = guest_to_host(ns, t, size, frames)
                print(f"| guest to host | {size} B | {t} | {rate:.0f} | {seen} |")
        for size in (64, 1500):
            for t in TENDERS:
                rate, got, sent = host_to_guest(ns, t, size, frames, tmp)
                print(f"| host to guest | {size} B | {t} | {rate:.0f} | {got} (sent {sent}) |")
        print()
        bursts_at_spt_rate(ns, tmp, frames)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller volumes, one run")
    parser.add_argument("--only", choices=["block", "net"], help="run one half")
    opts = parser.parse_args()
    missing = check_built()
    if missing:
        print(f"devices.py: {missing}")
        return 1
    for helper in ("blk_host", "net_blast"):
        build_helper(helper)
    tmp = TOP / "build" / "bench"
    if opts.only != "net":
        image = tmp / "bench.img"
        size = 64 * MIB if opts.quick else 256 * MIB
        with open(image, "wb") as f:  # real blocks, not a sparse file
            f.write(b"\x5a" * size)
        rows = block_bench(image, [512, 4 * KIB, 64 * KIB, MIB], size, 1 if opts.quick else 3)
        print_block(rows)
        image.unlink()
        print()
    if opts.only != "block":
        net_bench(tmp, 20000 if opts.quick else 100000, 20000 if opts.quick else 100000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
