"""Container resources -> the tender's memory, rlimits and the cgroup path.

The memory limit holds the whole container: the tender and the init process
around it as well as the guest, so the guest gets the limit less
TENDER_OVERHEAD, toolchain/abi.py's TENDER_OWN_MIB: the room the tenders
themselves insist on below their cgroup's limit (tender_memlimit.c).  hvt
guests are at most 4 GiB.
"""

from __future__ import annotations

import resource

from solo5_oci.errors import OciError
from solo5_toolchain.abi import TENDER_OWN_MIB

MIB = 1 << 20
TENDER_OVERHEAD = TENDER_OWN_MIB * MIB
MIN_GUEST_MIB = 2  # the smallest --mem a tender takes
MAX_GUEST_MIB = {"hvt": 4096}


def guest_mem_mib(limit: int | None, target: str) -> int | None:
    """--mem for a container memory limit of `limit` bytes (None: no limit,
    the tender's default)."""
    if limit is None:
        return None
    mib = (limit - TENDER_OVERHEAD) // MIB
    if mib < MIN_GUEST_MIB:
        raise OciError(
            f"memory limit {limit} bytes: a unikernel needs {MIN_GUEST_MIB} MiB plus "
            f"{TENDER_OVERHEAD // MIB} MiB for its tender (at least "
            f"{(MIN_GUEST_MIB * MIB + TENDER_OVERHEAD) // MIB} MiB)"
        )
    return min(mib, MAX_GUEST_MIB.get(target, mib))


def rlimit_number(name: str) -> int:
    """resource.RLIMIT_* for an OCI rlimit type such as RLIMIT_NOFILE."""
    number = getattr(resource, name, None) if name.startswith("RLIMIT_") else None
    if not isinstance(number, int):
        raise OciError(f"process.rlimits: unknown rlimit type {name!r}")
    return number


def rlimit_refused(name: str, soft: int, hard: int, current_hard: int) -> str:
    """The message for a setrlimit the host refused."""
    shown = "unlimited" if current_hard == resource.RLIM_INFINITY else str(current_hard)
    return (
        f"process.rlimits: {name} soft {soft} hard {hard}: the host does not allow raising "
        f"its hard limit above {shown} (no CAP_SYS_RESOURCE); ask for less (podman: "
        f"--ulimit, or default_ulimits in containers.conf)"
    )


def systemd_path(cgroups_path: str) -> str:
    """A systemd-style cgroupsPath "SLICE:PREFIX:NAME" as a cgroupfs path:
    machine-libpod.slice -> /machine.slice/machine-libpod.slice/PREFIX-NAME.scope."""
    parts = cgroups_path.split(":")
    if len(parts) != 3:
        raise OciError(
            f"linux.cgroupsPath {cgroups_path!r}: with --systemd-cgroup it is SLICE:PREFIX:NAME"
        )
    slice_name, prefix, name = parts
    path = ""
    if slice_name and slice_name != "-.slice":
        if not slice_name.endswith(".slice"):
            raise OciError(f"linux.cgroupsPath {cgroups_path!r}: {slice_name} is not a .slice")
        words = slice_name.removesuffix(".slice").split("-")
        for end in range(1, len(words) + 1):
            path += "/" + "-".join(words[:end]) + ".slice"
    unit = f"{prefix}-{name}.scope" if prefix else name
    return f"{path}/{unit}"


def cpu_weight(shares: int) -> int:
    """cgroup v1 cpu.shares (2..262144) -> v2 cpu.weight (1..10000), as runc does."""
    if shares == 0:
        return 100
    return 1 + ((shares - 2) * 9999) // 262142
