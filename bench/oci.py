#!/usr/bin/env python3
"""solo5-oci cold start, side by side in one run (docs/performance.md, "solo5-oci").

    scons -Q -j2 && python3 bench/oci.py [--runs N] [--no-podman]

1. The runtime's own cost: `solo5-oci create` + `start` + the unikernel's run
   to its exit, as an engine drives them (this script is the child subreaper
   that reaps the container's init, as conmon is), against the tender run
   directly on the same unikernel (test_quiet, --mem=2: the container gets the
   memory limit that solo5-oci turns into --mem=2).
2. `podman run --rm --network=none` with solo5-oci, against the same with
   runc running a static Linux hello (private podman configuration and
   storage, removed afterwards).

Needs root and the built tree; podman, runc and gcc for part 2.  Prints
Markdown tables of minimum and median wall times in ms, and ratios.  Not a
test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))

from oci.engines import Podman  # noqa: E402
from oci.helpers import RUNTIME, base_config, guest, make_bundle  # noqa: E402

from solo5_toolchain.abi import TENDER_OWN_MIB  # noqa: E402

STAGE_BIN = TOP / "build" / "stage" / "bin"
PR_SET_CHILD_SUBREAPER = 36


def timed(action: Callable[[], None], runs: int) -> list[float]:
    action()  # warm the page cache and Python's bytecode cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def quiet(argv: list[str]) -> None:
    """Run argv; its output to a file, not a pipe: a container's init keeps
    create's stdout and stderr open."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, check=False
        )
        if proc.returncode != 0:
            errors.seek(0)
            text = errors.read()[-500:].decode(errors="replace")
            raise RuntimeError(f"{' '.join(argv)}: status {proc.returncode}: {text}")


def cpu_ms() -> float:
    """CPU time of this process's reaped children (solo5-oci's commands and,
    once reaped, the container's init and tender)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def container_runs(root: Path, bundle: Path, cgroup: str, runs: int) -> dict[str, list[float]]:
    """create, start + run to the exit, delete: each timed, `runs` times, as
    an engine runs them (this process is the init's reaper); "cpu ..." are
    the CPU times of the commands."""
    phases: dict[str, list[float]] = {
        "create": [],
        "start + run": [],
        "delete": [],
        "create + start + run": [],
        "cpu create": [],
        "cpu start": [],
        "cpu delete": [],
    }
    for index in range(runs + 1):  # the first warms the caches
        cid = f"bench-{uuid.uuid4().hex[:8]}"
        config = json.loads((bundle / "config.json").read_text())
        config["linux"]["cgroupsPath"] = f"{cgroup}/{cid}"
        (bundle / "config.json").write_text(json.dumps(config))
        pid_file = root / f"{cid}.pid"
        base = [str(RUNTIME), "--root", str(root)]
        c0, t0 = cpu_ms(), time.perf_counter()
        quiet([*base, "create", "--bundle", str(bundle), "--pid-file", str(pid_file), cid])
        c1, t1 = cpu_ms(), time.perf_counter()
        quiet([*base, "start", cid])
        c2 = cpu_ms()
        _, status = os.waitpid(int(pid_file.read_text()), 0)
        t2 = time.perf_counter()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"the container ended with {status}")
        c3 = cpu_ms()
        quiet([*base, "delete", cid])
        c4, t3 = cpu_ms(), time.perf_counter()
        pid_file.unlink()
        if index:
            for name, (a, b) in {
                "create": (t0, t1),
                "start + run": (t1, t2),
                "delete": (t2, t3),
                "create + start + run": (t0, t2),
            }.items():
                phases[name].append((b - a) * 1000)
            phases["cpu create"].append(c1 - c0)
            phases["cpu start"].append(c2 - c1)
            phases["cpu delete"].append(c4 - c3)
    return phases


def row(name: str, times: list[float], base: list[float] | None) -> str:
    low, mid = min(times), statistics.median(times)
    ratio = f"{mid / statistics.median(base):.1f}x" if base else "1.0x"
    return f"| {name} | {low:.1f} | {mid:.1f} | {ratio} |"


def runtime_part(runs: int, work: Path) -> None:
    print("| command | min [ms] | median [ms] | median ratio |\n|:---|---:|---:|---:|")
    cgroup = f"/solo5-oci-bench-{uuid.uuid4().hex[:8]}"
    targets = ["hvt", "spt"] if os.access("/dev/kvm", os.R_OK | os.W_OK) else ["spt"]
    cpu: dict[str, dict[str, float]] = {}
    for target in targets:
        kernel = guest("quiet", target)
        tender = timed(
            lambda k=kernel, t=target: quiet(
                [str(STAGE_BIN / f"solo5-{t}"), "--mem=2", str(k), "--solo5:quiet"]
            ),
            runs,
        )
        inside = f"/quiet.{target}"
        limit = (2 + TENDER_OWN_MIB) << 20  # solo5-oci makes it --mem=2
        config = base_config([inside, "--solo5:quiet"], resources={"memory": {"limit": limit}})
        bundle = make_bundle(work / target, {inside: kernel}, config)
        phases = container_runs(work / "root", bundle, cgroup, runs)
        print(row(f"`solo5-{target} --mem=2 test_quiet.{target}`", tender, None))
        for name, times in phases.items():
            if not name.startswith("cpu "):
                print(row(f"solo5-oci {name}, {target}", times, tender))
        cpu[target] = {n[4:]: statistics.median(t) for n, t in phases.items() if n[:4] == "cpu "}
    python = timed(lambda: quiet([sys.executable, "-I", "-S", "-c", "pass"]), runs)
    print("\n| CPU time, median [ms] | " + " | ".join(cpu) + " |\n|:---|" + "---:|" * len(cpu))
    for command in ("create", "start", "delete"):
        print(
            f"| `solo5-oci {command}` | " + " | ".join(f"{cpu[t][command]:.0f}" for t in cpu) + " |"
        )
    print(f"\n(`python3 -I -S -c pass`: {min(python):.1f} ms wall, minimum)")
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        path = hierarchy / cgroup.lstrip("/")
        if path.is_dir():
            path.rmdir()


def podman_part(runs: int, work: Path) -> None:
    podman = Podman.make(f"/solo5-oci-bench-{uuid.uuid4().hex[:8]}")
    try:
        static = work / "static"
        static.mkdir()
        (static / "hello.c").write_text('#include <stdio.h>\nint main(void){puts("hi");}\n')
        quiet(["cc", "-static", "-O2", "-o", str(static / "hello"), str(static / "hello.c")])
        (static / "Containerfile").write_text("FROM scratch\nCOPY hello /\n")
        uni = work / "unikernel"
        uni.mkdir()
        target = "hvt" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "spt"
        shutil.copyfile(guest("quiet", target), uni / f"quiet.{target}")
        (uni / "Containerfile").write_text(f"FROM scratch\nCOPY quiet.{target} /\n")
        for tag, context in (("localhost/bench-static", static), ("localhost/bench-uni", uni)):
            result = podman("build", "-q", "-t", tag, str(context))
            assert result.status == 0, result.describe()
        run = ["podman", "run", "--rm", "--network=none"]

        def via_podman(*args: str) -> Callable[[], None]:
            return lambda: podman_ok(podman, *args)

        runc = timed(
            via_podman(*run[1:], "--runtime=runc", "localhost/bench-static", "/hello"), runs
        )
        oci = timed(
            via_podman(
                *run[1:],
                f"--runtime={RUNTIME}",
                "localhost/bench-uni",
                f"/quiet.{target}",
                "--solo5:quiet",
            ),
            runs,
        )
        print("\n| command | min [ms] | median [ms] | median ratio |\n|:---|---:|---:|---:|")
        print(row("`podman run --rm --network=none` runc, static hello", runc, None))
        print(row(f"`podman run --rm --network=none` solo5-oci, test_quiet.{target}", oci, runc))
    finally:
        podman.destroy()


def podman_ok(podman: Podman, *args: str) -> None:
    result = podman(*args)
    if result.status != 0:
        raise RuntimeError(result.describe())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-podman", action="store_true")
    args = parser.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    with tempfile.TemporaryDirectory(prefix="solo5-oci-bench-") as work:
        runtime_part(args.runs, Path(work))
        if not args.no_podman:
            podman_part(args.runs, Path(work))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
