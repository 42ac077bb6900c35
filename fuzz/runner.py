"""scripts/fuzz: build the fuzzing harnesses and run them (fuzz/README.md).

    scripts/fuzz [--seconds N] [--runs N] [--no-build] [--out DIR] [TARGET...]

Each harness runs in turn (one at a time: a shared machine) for --seconds
(default 60) or --runs executions, whichever ends first, on its working
corpus build/fuzz/corpus/<target>/ (kept between runs), its seeds (made
from the build, build/fuzz/seeds/<target>/) and the committed regression
inputs (fuzz/regressions/<target>/).  A crash leaves its input in
build/fuzz/crashes/<target>/ and makes the exit status 1 (--out DIR: DIR
instead of build/fuzz for corpus, seeds, crashes and logs).  Prints, per
harness: executions, executions per second, coverage (libFuzzer's cov: edges
and ft: features) and crashes.  An interrupted harness (SIGINT) counts with
the executions it made, not as a crash.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

TOP = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TOP / "tests")]

import seeds  # noqa: E402

BUILD = TOP / "build"
FUZZ = BUILD / "fuzz"


@dataclass(frozen=True)
class Target:
    name: str
    max_len: int
    python: bool = False

    def command(self) -> list[str]:
        if self.python:
            return [sys.executable, str(TOP / "fuzz" / f"fuzz_{self.name}.py")]
        return [str(FUZZ / "bin" / f"fuzz_{self.name}")]


TARGETS = {
    t.name: t
    for t in (
        Target("elf", 1 << 17),
        Target("mft", 8192),
        Target("hypercall", 1 << 16),
        Target("ring", 4096),
        Target("block", 1024),
        Target("seccomp", 2048),
        Target("gdb", 8192),
        Target("spt_boot", 24576),
        # Python runs ~100 times slower: inputs the size of the notes and
        # headers (seed unikernels are cut there), not whole unikernels.
        Target("elftool", 16384, python=True),
    )
}


@dataclass
class Result:
    target: str
    execs: int = 0
    per_sec: int = 0
    cov: int = 0
    ft: int = 0
    corpus: int = 0
    seconds: float = 0.0
    crashes: tuple[str, ...] = ()
    status: int = 0


def build() -> None:
    scons = shutil.which("scons") or "scons"
    subprocess.run([scons, "-Q", "-j2", "build", "fuzz"], cwd=TOP, check=True)


def prepare(target: Target, out: Path) -> list[str]:
    """Seeds and dictionary; returns the libFuzzer arguments naming them."""
    seed_dir = out / "seeds" / target.name
    shutil.rmtree(seed_dir, ignore_errors=True)
    seed_dir.mkdir(parents=True)
    for name, data in seeds.SEEDS[target.name](BUILD):
        (seed_dir / name).write_bytes(data[: target.max_len])
    args = []
    if target.name in seeds.DICTS:
        path = out / "dict" / f"{target.name}.dict"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(seeds.dict_text(seeds.DICTS[target.name]()))
        args.append(f"-dict={path}")
    corpus = out / "corpus" / target.name
    corpus.mkdir(parents=True, exist_ok=True)
    dirs = [str(corpus), str(seed_dir)]
    regressions = TOP / "fuzz" / "regressions" / target.name
    if regressions.is_dir():
        dirs.append(str(regressions))
    return args + dirs


STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
COV = re.compile(r"cov: (\d+) ft: (\d+) corp: (\d+)")
ARTIFACT = re.compile(r"Test unit written to (\S+)")


def run(target: Target, seconds: int, runs: int | None, out: Path) -> Result:
    crashes = out / "crashes" / target.name
    log = out / "logs" / f"{target.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    cmd = [
        *target.command(),
        f"-max_total_time={seconds}",
        f"-max_len={target.max_len}",
        f"-artifact_prefix={crashes}/",
        "-print_final_stats=1",
        "-close_fd_mask=3",
        "-timeout=20",
        "-rss_limit_mb=4096",
    ]
    if runs is not None:
        cmd.append(f"-runs={runs}")
    cmd += prepare(target, out)
    with log.open("w") as out:
        out.write(" ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    text = log.read_text(errors="replace")
    stats = {k: int(v) for k, v in STAT.findall(text)}
    covs = COV.findall(text)
    r = Result(target.name, status=proc.returncode)
    r.execs = stats.get("number_of_executed_units", 0)
    r.per_sec = stats.get("average_exec_per_sec", 0)
    if covs:
        r.cov, r.ft, r.corpus = (int(v) for v in covs[-1])
    r.seconds = r.execs / r.per_sec if r.per_sec else 0.0
    r.crashes = tuple(ARTIFACT.findall(text))
    interrupted = "libFuzzer: run interrupted" in text
    if proc.returncode != 0 and not r.crashes and not interrupted:
        r.crashes = (f"(exit status {proc.returncode}, see {log})",)
    return r


def table(results: list[Result]) -> str:
    head = f"{'target':<10} {'execs':>12} {'exec/s':>8} {'cov':>6} {'ft':>7} {'corpus':>7}  crashes"
    rows = [head]
    for r in results:
        rows.append(
            f"{r.target:<10} {r.execs:>12} {r.per_sec:>8} {r.cov:>6} {r.ft:>7} {r.corpus:>7}  "
            f"{len(r.crashes)}"
        )
    return "\n".join(rows)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, naming what is wrong (the usage is in --help)."""
        self.exit(2, f"{self.prog}: {message}\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = _Parser(
        prog="scripts/fuzz",
        description="Build the fuzzing harnesses (fuzz/) and run each in turn; "
        "prints executions, exec/s, coverage and crashes per harness.",
        epilog=f"targets: {', '.join(TARGETS)} (default: all)",
    )
    p.add_argument(
        "--seconds", type=int, default=60, metavar="N", help="time per harness (default 60)"
    )
    p.add_argument(
        "--runs",
        type=int,
        default=None,
        metavar="N",
        help="stop a harness after N executions (whichever comes first)",
    )
    p.add_argument("--no-build", action="store_true", help="use the harnesses as built")
    p.add_argument(
        "--out",
        type=Path,
        default=FUZZ,
        metavar="DIR",
        help="corpus, seeds, crashes and logs go here (default build/fuzz; "
        "a long campaign keeps its own)",
    )
    p.add_argument("targets", nargs="*", metavar="TARGET")
    args = p.parse_args(argv)
    for name in args.targets:
        if name not in TARGETS:
            p.error(f"unknown target '{name}' (one of: {', '.join(TARGETS)})")
    if args.seconds < 1 or (args.runs is not None and args.runs < 1):
        p.error("--seconds and --runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.no_build:
        build()
    results = []
    for name in args.targets or list(TARGETS):
        print(f"==> fuzz_{name}: up to {args.seconds} s", flush=True)
        results.append(run(TARGETS[name], args.seconds, args.runs, args.out.resolve()))
    print(table(results))
    crashed = [r for r in results if r.crashes]
    for r in crashed:
        for path in r.crashes:
            again = " ".join([*TARGETS[r.target].command(), path])
            print(f"CRASH {r.target}: {path}; reproduce: {again}")
    return 1 if crashed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
