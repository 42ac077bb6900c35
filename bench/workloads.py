#!/usr/bin/env python3
"""Whole-unikernel benchmarks, solo5-hvt and solo5-spt side by side.

    scons -Q -j2 && python3 bench/workloads.py [--rounds N] [--only start|gc|http] [--gap S]

start  cold start: a quiet unikernel from exec to exit on both tenders, an
       upstream-style one (CPL0, hypercalls: build/tests/legacy/) on
       solo5-hvt, next to the bare KVM lifecycle (bench/kvm_minimal.c)
gc     bench_gc, a garbage-collected runtime's memory and console
       patterns, timed by the guest's own clock; also on solo5-hvt
       --hugepages, with the hugetlb pool grown for it (root)
http   bench_tcp, a tiny HTTP server, driven by `ab` (apache2-utils) and
       flood ping from a namespace this makes (root), and its boot to exit
       with --help; `ab` also with the threads pinned (PLACEMENTS), where
       the host has two CPUs or more

Every measure runs N rounds (default 5), the tenders in turn within a
round, and prints the median with the spread (min-max) and the ratio of
medians.  Prints Markdown tables (docs/performance.md).  Not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from bench_support import (
    GUESTS,
    HELPERS,
    STAGE_BIN,
    TENDERS,
    TOP,
    Samples,
    build_helper,
    check_built,
    field_of,
    guest_argv,
    load_average,
    sh,
    start_guest,
    stop,
)
from support.hugepages import hugepage_pool
from support.netns import Netns, Tap, netns_with_taps

GC_MEM = 160  # MiB: bench_gc's default scale needs ~120 MiB of heap
HUGE = "hvt --hugepages"
HTTP_MEM = 32
SPAWN_RUNS = 200


def spawn_times(
    commands: list[list[str]], runs: int, ns: Netns | None = None
) -> list[dict[str, int]]:
    """min/median/p90 ns of each command, run interleaved (bench/spawn_time.c)."""
    argv: list[str] = [str(HELPERS / "spawn_time"), str(runs)]
    for i, cmd in enumerate(commands):
        argv += ([":::"] if i else []) + cmd
    out = sh(ns.command(argv) if ns else argv, timeout=3600)
    rows = []
    for line in out.splitlines():
        rows.append({k: field_of(line, k) for k in ("min_ns", "median_ns", "p90_ns", "failed")})
    for cmd, row in zip(commands, rows, strict=True):
        if row["failed"]:
            raise RuntimeError(f"{' '.join(cmd)}: {row['failed']} runs failed")
    return rows


# --- start ---------------------------------------------------------------------------


def cold_start(runs: int) -> None:
    floor = HELPERS / "kvm_minimal"
    sh(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-o", floor,
        TOP / "bench" / "kvm_minimal.c", TOP / "bench" / "bench_kvm.c"])  # fmt: skip
    quiet = ["--solo5:quiet"]
    legacy = GUESTS / "legacy" / "test_quiet.hvt"
    cases = {
        "/bin/true": ["/bin/true"],
        "bare KVM lifecycle (kvm_minimal long 2)": [str(floor), "long", "2"],
        "solo5-hvt test_quiet": guest_argv("hvt", "test_quiet", [], quiet, 2),
        "solo5-spt test_quiet": guest_argv("spt", "test_quiet", [], quiet, 2),
        "solo5-hvt, upstream-style test_quiet (CPL0)": [
            str(STAGE_BIN / "solo5-hvt"), "--mem=2", "--", str(legacy), *quiet],
    }  # fmt: skip
    rows = dict(zip(cases, spawn_times(list(cases.values()), runs), strict=True))
    base = rows["bare KVM lifecycle (kvm_minimal long 2)"]
    print(f"Cold start, exec to exit, {runs} interleaved runs (load {load_average()}):\n")
    print("| command | min ms | median ms | p90 ms | min / floor | median / floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['min_ns'] / 1e6:.2f} | {r['median_ns'] / 1e6:.2f} | "
            f"{r['p90_ns'] / 1e6:.2f} | {r['min_ns'] / base['min_ns']:.2f} | "
            f"{r['median_ns'] / base['median_ns']:.2f} |"
        )
    print()


# --- gc --------------------------------------------------------------------------------

GC_PHASES = ("fresh", "minor", "build", "chase", "print", "float", "total")


def gc_bench(rounds: int, gap: float) -> None:
    """bench_gc on spt and hvt, and on hvt with --hugepages where the hugetlb
    pool can be grown for it (root); every variant in turn within a round,
    `gap` seconds between runs.  The pool's pages are touched once first,
    as those of a pool set aside before would have been."""
    s = Samples()
    variants = {t: guest_argv(t, "bench_gc", [], [], GC_MEM) for t in TENDERS}
    with hugepage_pool(GC_MEM // 2) as pooled:
        if pooled:
            variants[HUGE] = guest_argv("hvt", "bench_gc", ["--hugepages"], [], GC_MEM)
            sh(variants[HUGE])
        for _ in range(rounds):
            for who, argv in variants.items():
                time.sleep(gap)
                out = sh(argv)
                line = next(x for x in out.splitlines() if x.startswith("bench_gc:"))
                for phase in GC_PHASES:
                    s.add(phase, who, field_of(line, phase) / 1e6)
    print(
        f"bench_gc, the guest's own clock, {rounds} rounds, {gap:g} s between runs "
        f"(load {load_average()}):\n"
    )
    if not pooled:
        print("(no hvt --hugepages column: the hugetlb pool could not be grown)\n")
    huge = f" {HUGE} ms | / spt |" if pooled else ""
    print(f"| phase | hvt ms (median, spread) | spt ms (median, spread) | hvt / spt |{huge}")
    print("|---|---:|---:|---:|" + ("---:|---:|" if pooled else ""))
    for p in GC_PHASES:
        h, v = s.median(p, "hvt"), s.median(p, "spt")
        row = f"| {p} | {h:.1f} ({s.spread(p, 'hvt')}) | {v:.1f} ({s.spread(p, 'spt')}) | "
        row += f"{h / v:.2f} |"
        if pooled:
            g = s.median(p, HUGE)
            row += f" {g:.1f} ({s.spread(p, HUGE)}) | {g / v:.2f} |"
        print(row)
    print()


# --- http ------------------------------------------------------------------------------

TCP_DEVICES = ["--net:service0=tap100"]
AB_RUNS = (("ab -n500 -c1", 500, 1), ("ab -n2000 -c10", 2000, 10))
# ab runs of each kind per guest start: a single run's rate depends on where
# the host scheduler happens to put ab, the guest and (hvt) its I/O thread on
# this machine's two CPUs (3-10x apart for either tender, docs/performance.md).
AB_REPEATS = 5


# Pinned runs (two CPUs or more): ab on the last CPU allowed, the tender's
# main thread (hvt's vCPU thread, spt's only one) on the first ("apart") or
# on ab's ("with ab"); hvt's I/O thread keeps itself off its vCPU thread's
# CPU (tenders/hvt/hvt_affinity.c).  Each placement gives about the same
# rate run after run; free placement draws from them at random
# (docs/performance.md, "Round 9").
PLACEMENTS = ("apart", "with ab")
PINNED_REPEATS = 3


def ab_rate(ns: Netns, tender: str, name: str, n: int, c: int, cpu: int | None = None) -> float:
    """Requests per second of one ab run (on `cpu` if given), which must
    have no failures."""
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    out = sh(ns.command([*pin, "ab", "-q", "-n", str(n), "-c", str(c), "http://10.0.0.2/"]))
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    if failed is None or failed.group(1) != "0":
        raise RuntimeError(f"{name} on {tender}: failed requests\n{out}")
    rate = re.search(r"Requests per second:\s+([\d.]+)", out)
    return float(rate.group(1))  # type: ignore[union-attr]


def http_round(ns: Netns, tender: str, s: Samples, log: Path) -> None:
    proc = start_guest(
        ns, guest_argv(tender, "bench_tcp", TCP_DEVICES, [], HTTP_MEM), "serving", log
    )
    try:
        sh(ns.command(["ping", "-c", "10", "-i", "0.01", "-q", "10.0.0.2"]))  # ARP, warm-up
        for name, n, c in AB_RUNS:
            for _ in range(AB_REPEATS):
                s.add(name, tender, ab_rate(ns, tender, name, n, c))
        out = sh(ns.command(["ping", "-f", "-c", "10000", "-q", "10.0.0.2"]))
        ms = int(re.search(r"time (\d+)ms", out).group(1))  # type: ignore[union-attr]
        received = int(re.search(r"(\d+) received", out).group(1))  # type: ignore[union-attr]
        s.add("flood ping -c 10000", tender, received / ms * 1000)
        pinned_runs(ns, tender, proc.pid, s)
    finally:
        stop(proc)


def pinned_runs(ns: Netns, tender: str, pid: int, s: Samples) -> None:
    """The ab runs again per placement (PLACEMENTS); `pid` is the tender's,
    and its main thread's id."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return
    ab_cpu = cpus[-1]
    for placement in PLACEMENTS:
        os.sched_setaffinity(pid, {cpus[0] if placement == "apart" else ab_cpu})
        for name, n, c in AB_RUNS:
            for _ in range(PINNED_REPEATS):
                rate = ab_rate(ns, tender, name, n, c, ab_cpu)
                s.add(f"{name}, pinned, {placement}", tender, rate)


def http_bench(rounds: int, runs: int) -> None:
    s = Samples()
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        helps = [guest_argv(t, "bench_tcp", TCP_DEVICES, ["--help"], HTTP_MEM) for t in TENDERS]
        boot = dict(zip(TENDERS, spawn_times(helps, runs, ns), strict=True))
        for _ in range(rounds):
            for t in TENDERS:
                http_round(ns, t, s, HELPERS / f"bench_tcp-{t}.log")
    print(f"bench_tcp, {rounds} rounds of {AB_REPEATS} ab runs each (load {load_average()}):\n")
    print("| measure | hvt (median, spread) | spt (median, spread) | hvt / spt |")
    print("|---|---:|---:|---:|")
    for name in [a[0] for a in AB_RUNS] + ["flood ping -c 10000"]:
        h, v = s.median(name, "hvt"), s.median(name, "spt")
        print(
            f"| {name}, /s | {h:.0f} ({s.spread(name, 'hvt')}) | "
            f"{v:.0f} ({s.spread(name, 'spt')}) | {h / v:.2f} |"
        )
    print_pinned(s)
    bh, bs = boot["hvt"], boot["spt"]
    print(
        f"| boot to exit (--help), ms, {runs} runs: median (min) | "
        f"{bh['median_ns'] / 1e6:.2f} ({bh['min_ns'] / 1e6:.2f}) | "
        f"{bs['median_ns'] / 1e6:.2f} ({bs['min_ns'] / 1e6:.2f}) | "
        f"{bh['median_ns'] / bs['median_ns']:.2f} |"
    )
    print()


def print_pinned(s: Samples) -> None:
    """Rows per placement, then each tender's best placement against the
    other's (nothing without two CPUs)."""
    for name in [a[0] for a in AB_RUNS]:
        best = {t: 0.0 for t in TENDERS}
        for placement in PLACEMENTS:
            measure = f"{name}, pinned, {placement}"
            if (measure, "hvt") not in s.values:
                return
            h, v = s.median(measure, "hvt"), s.median(measure, "spt")
            best["hvt"], best["spt"] = max(best["hvt"], h), max(best["spt"], v)
            print(
                f"| {measure}, /s | {h:.0f} ({s.spread(measure, 'hvt')}) | "
                f"{v:.0f} ({s.spread(measure, 'spt')}) | {h / v:.2f} |"
            )
        print(
            f"| {name}, pinned, each tender's best placement, /s | {best['hvt']:.0f} | "
            f"{best['spt']:.0f} | {best['hvt'] / best['spt']:.2f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measure (default 5)")
    parser.add_argument("--only", choices=["start", "gc", "http"], help="run one section")
    parser.add_argument(
        "--gap",
        type=float,
        default=0,
        help="gc: seconds between two runs (default 0; unikernels started seconds apart find "
        "fresher host memory: docs/performance.md, Round 4)",
    )
    opts = parser.parse_args()
    missing = check_built()
    if missing:
        print(f"workloads.py: {missing}")
        return 1
    build_helper("spawn_time")
    if opts.only in (None, "start"):
        cold_start(SPAWN_RUNS)
    if opts.only in (None, "gc"):
        gc_bench(opts.rounds, opts.gap)
    if opts.only in (None, "http"):
        http_bench(opts.rounds, SPAWN_RUNS // 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
