#!/usr/bin/env python3
"""The toolchain's own start-up: solo5-elftool's commands and the wrappers.

    scons -Q -j2 && python3 bench/toolchain.py [--prefix DIR] [--compare DIR]
        [--runs N] [--path PATH]

Runs, as a user runs them (PATH as given, or --path), from an installed
prefix (default build/stage, which is one):

    solo5-elftool gen-manifest | query-manifest | query-abi | --version
    x86_64-solo5-none-static-cc -c, -ld: their own overhead, i.e. the
        wrappers of a copy of the prefix whose host cc and ld are /bin/true,
        next to /bin/true itself

next to `PYTHON -S -c pass`, PYTHON being the interpreter the prefix's
solo5-elftool runs (or `python3` from PATH for a launcher that uses PATH).
Every command runs once per round, rounds interleaved so that a load on the
machine falls on all alike; prints the median and the ratio to that floor,
as a Markdown table (docs/performance.md, "Toolchain").  --compare DIR adds
the same rows for another prefix (e.g. one installed from an older tree).
Not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
TRIPLE = "x86_64-solo5-none-static"
GUEST = TOP / "build" / "tests" / "test_net" / "test_net.hvt"
MANIFEST = TOP / "tests" / "guests" / "test_net" / "manifest.json"


def launcher_python(prefix: Path, path: str) -> str:
    """The interpreter solo5-elftool of `prefix` runs."""
    text = (prefix / "bin" / "solo5-elftool").read_text()
    found = re.search(r"^\s*exec '([^']+)'", text, re.M)
    if found:
        return found.group(1)
    return shutil.which("python3", path=path) or "python3"  # #!/usr/bin/env python3


def wrapper_copy(prefix: Path, work: Path) -> Path:
    """A prefix whose cc and ld wrappers run /bin/true instead of the host tools."""
    work.mkdir()
    (work / "bin").mkdir()
    for part in ("include", "lib"):
        (work / part).symlink_to(prefix / part)
    for tool in ("cc", "ld"):
        name = f"{TRIPLE}-{tool}"
        text = (prefix / "bin" / name).read_text()
        text, count = re.subn(r'^(CC|LD)="[^"]*"$', r'\1="/bin/true"', text, flags=re.M)
        if count != 1:
            sys.exit(f"{prefix}/bin/{name}: no CC= or LD= line to replace")
        (work / "bin" / name).write_text(text)
        (work / "bin" / name).chmod(0o755)
    return work


def commands(prefix: Path, label: str, work: Path, path: str) -> dict[str, list[str]]:
    elftool = str(prefix / "bin" / "solo5-elftool")
    fake = wrapper_copy(prefix, work / f"wrappers-{label}")
    out = work / f"manifest-{label}.c"
    return {
        f"{label}: python -S -c pass": [launcher_python(prefix, path), "-S", "-c", "pass"],
        f"{label}: solo5-elftool --version": [elftool, "--version"],
        f"{label}: solo5-elftool gen-manifest": [elftool, "gen-manifest", str(MANIFEST), str(out)],
        f"{label}: solo5-elftool query-manifest": [elftool, "query-manifest", str(GUEST)],
        f"{label}: solo5-elftool query-abi": [elftool, "query-abi", str(GUEST)],
        f"{label}: cc wrapper -c (host cc = /bin/true)": [
            str(fake / "bin" / f"{TRIPLE}-cc"), "-O2", "-c", "x.c", "-o", "x.o"],
        f"{label}: ld wrapper (host ld = /bin/true)": [
            str(fake / "bin" / f"{TRIPLE}-ld"), "-z", "solo5-abi=hvt", "x.o", "-o", "x.hvt"],
    }


def measure(table: dict[str, list[str]], runs: int, env: dict[str, str], cwd: Path
            ) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in table}
    names = list(table)
    for round_number in range(runs + 3):
        random.shuffle(names)
        for name in names:
            start = time.perf_counter()
            proc = subprocess.run(table[name], env=env, cwd=cwd, capture_output=True,
                                  check=False)
            elapsed = time.perf_counter() - start
            if proc.returncode != 0:
                sys.exit(f"{' '.join(table[name])}: status {proc.returncode}\n"
                         f"{proc.stderr.decode(errors='replace')}")
            if round_number >= 3:  # the first rounds warm the caches
                times[name].append(elapsed * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", type=Path, default=TOP / "build" / "stage")
    parser.add_argument("--compare", type=Path, help="another installed prefix, side by side")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--path", default=os.environ.get("PATH", "/usr/bin:/bin"),
                        help="PATH the commands run with (default: this one)")
    opts = parser.parse_args()
    for needed in (GUEST, opts.prefix / "bin" / "solo5-elftool"):
        if not needed.exists():
            sys.exit(f"{needed} is missing: run `scons -Q -j2` first")
    env = {**os.environ, "PATH": opts.path}
    with tempfile.TemporaryDirectory(prefix="solo5-bench-") as tmp:
        work = Path(tmp)
        table = {"/bin/true": ["/bin/true"]}
        table |= commands(opts.prefix.resolve(), "this", work, opts.path)
        if opts.compare:
            table |= commands(opts.compare.resolve(), "compare", work, opts.path)
        times = measure(table, opts.runs, env, work)
    median = {name: statistics.median(t) for name, t in times.items()}
    python3 = shutil.which("python3", path=opts.path)
    print(f"`python3` on PATH: {python3}; {opts.runs} interleaved runs; prefix {opts.prefix}"
          + (f", compare {opts.compare}" if opts.compare else ""))
    print()
    print("| command | median ms | min ms | x its python -S -c pass |")
    print("|---|---:|---:|---:|")
    for name, t in times.items():
        label = name.split(":")[0]
        floor = median.get(f"{label}: python -S -c pass")
        ratio = f"{median[name] / floor:.2f}" if floor else "-"
        print(f"| {name} | {median[name]:.1f} | {min(t):.1f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
