"""Block requests after solo5-hvt's I/O thread fell asleep (tenders/hvt/
hvt_ring.c, hvt_ring_wake_unless_watching()).

The guest's first request kicks the sleeping thread with an exit, which the
vCPU thread serves itself.  The thread must then be woken: a guest makes
its block requests one after the other, and a thread left asleep had each
of the next 63 served by a kick exit too (~66 us each on kvm-pvm, 4 ms of a
20 ms run of 4 KiB reads; docs/performance.md, "Round 9").

What shows who served them, without timing anything: a request the vCPU
thread (the tender's main thread) serves is a pread(2) of that thread,
which /proc/PID/task/PID/io counts (syscr).  test_blk_wake pauses, makes
its requests and parks; the count is read while it is parked, against a
run that makes none.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.guest import guest_path, wait_for_output

from .hvt_env import HVT, requires_hvt

pytestmark = requires_hvt

REQUESTS = 200
# The first request's kick exit, and a few for the host's own reasons (a
# thread without a CPU for 20 us gets an exit); before the fix, 64 or more.
SERVED_BY_VCPU_MAX = 8


def vcpu_thread_reads(requests: int, image: Path, log: Path) -> int:
    """The vCPU thread's read calls by the time test_blk_wake has made
    `requests` one-block reads and parked."""
    argv = [
        str(HVT),
        "--mem=4",
        f"--block:storage={image}",
        "--",
        str(guest_path("test_blk_wake", "hvt")),
        str(requests),
    ]
    with open(log, "wb") as out:
        guest = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_output(guest, log, b"parked")
            io = Path(f"/proc/{guest.pid}/task/{guest.pid}/io").read_text()
        finally:
            guest.kill()
            guest.wait()
    return int(next(line for line in io.splitlines() if line.startswith("syscr:")).split()[1])


def served_by_vcpu_thread(image: Path, tmp: Path) -> int:
    baseline = vcpu_thread_reads(0, image, tmp / "none.log")
    served = vcpu_thread_reads(REQUESTS, image, tmp / "some.log") - baseline
    assert served >= 0, f"the run without requests read {baseline} times, more than the other"
    return served


def test_block_requests_wake_the_io_thread(tmp_path: Path) -> None:
    image = tmp_path / "storage.img"
    image.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    served = served_by_vcpu_thread(image, tmp_path)
    if served > SERVED_BY_VCPU_MAX:  # once more, in case the host was busy
        served = min(served, served_by_vcpu_thread(image, tmp_path))
    assert served <= SERVED_BY_VCPU_MAX, (
        f"the vCPU thread served {served} of {REQUESTS} block requests itself"
    )
