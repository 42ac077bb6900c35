"""solo5-hvt's boot on kvm-pvm: shadow-paging faults, counted.

On kvm-pvm every first guest touch of a page costs KVM a shadow-paging
fault (~25 µs of CPU, docs/kvm-pvm.md); KVM maps the neighbours of the
page (an aligned group of 8 guest PTEs) in the same fault when the host has
them in memory.  A quiet boot touches five such groups: the kernel's text
and read-only data (mapped read-only by the guest's page tables, host
mapping writable: docs/performance.md, "Round 4"), its data, the boot info,
the stack's top page and the I/O rings' header with the start of the console
ring (faulted in by the tender: "Round 5").  More faults than that are a
cold-start regression; counted with `perf stat` on KVM's own tracepoint,
not timed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from support.guest import guest_path

from .hvt_env import HVT, requires_hvt

pytestmark = requires_hvt

SHADOW_FAULT = "kvmmmu:kvm_mmu_spte_requested"
TRACEPOINT = Path("/sys/kernel/tracing/events/kvmmmu/kvm_mmu_spte_requested")
QUIET_BOOT_GROUPS = 5


def shadow_faults(argv: list[str]) -> int:
    """KVM's shadow-paging faults while argv runs (it must succeed)."""
    perf = ["perf", "stat", "-x", ",", "-e", SHADOW_FAULT, "--", *argv]
    out = subprocess.run(perf, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    for line in out.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2] == SHADOW_FAULT:
            return int(fields[0])
    raise AssertionError(f"perf stat printed no count of {SHADOW_FAULT}:\n{out.stderr}")


def test_quiet_boot_faults_once_per_group_it_touches() -> None:
    if not Path("/sys/module/kvm_pvm").is_dir():
        pytest.skip("not kvm-pvm: hardware-virtualised KVM maps guests through EPT/NPT")
    if shutil.which("perf") is None or not TRACEPOINT.is_dir():
        pytest.skip(f"needs perf (linux-perf) and KVM's tracepoint {TRACEPOINT}")
    argv = [str(HVT), str(guest_path("test_quiet", "hvt")), "--solo5:quiet"]
    # The fewest of three: a host that reclaims a page meanwhile adds one.
    faults = min(shadow_faults(argv) for _ in range(3))
    assert faults <= QUIET_BOOT_GROUPS, f"{faults} shadow-paging faults for a quiet boot"
