"""solo5-hvt's memory slots fail cleanly (tenders/hvt/hvt_kvm_slot.c).

Guest memory's KVM slots are registered on a helper thread while the
tender sets up the vCPU (the start of memory, and the stack's where memory
comes on demand), and the I/O rings' slot after them, just before the first
KVM_RUN.  A failure of any (here an ENOMEM planted by an LD_PRELOAD library,
tests/support/kvm_slot_fail.c) must end the start the way a failure on the
main thread did: one line naming the ioctl, status 1, and no guest output,
since the guest never ran.  (The slot of memory on demand, registered while
the guest runs: tests/hvt/test_mem_on_demand.py.)"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from hvt.hvt_env import requires_hvt
from support.guest import GuestRun, guest_path, run, tender
from support.kvm_slot import build_shim, failing_env

pytestmark = requires_hvt

REGION = "KVM: KVM_SET_USER_MEMORY_REGION"


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shim(tmp_path_factory.mktemp("kvm_slot"))


def run_hello(shim: Path, slot: int | None, mem: int) -> GuestRun:
    argv: list[str | Path] = [
        tender("hvt").binary,
        f"--mem={mem}",
        guest_path("test_hello", "hvt"),
        "Hello_Solo5",
    ]
    return run(argv, env=failing_env(shim, slot))


@pytest.mark.parametrize(
    ("slot", "mem", "message"),
    [
        (0, 512, f"{REGION}: Cannot allocate memory"),
        (0, 8, f"{REGION}: Cannot allocate memory"),
        (1, 512, f"{REGION} (I/O rings): Cannot allocate memory"),
        # Memory on demand (x86_64, tests/hvt/test_mem_on_demand.py).
        pytest.param(
            2,
            512,
            f"{REGION} (guest stack): Cannot allocate memory",
            marks=pytest.mark.skipif(
                platform.machine() != "x86_64", reason="memory on demand is x86_64's"
            ),
        ),
    ],
)
def test_slot_failure_stops_the_start(shim: Path, slot: int, mem: int, message: str) -> None:
    r = run_hello(shim, slot, mem)
    assert r.status == 1, r.describe()
    assert r.stderr == f"solo5-hvt: {message}\n", r.describe()
    assert r.stdout == "", r.describe()


def test_shim_alone_changes_nothing(shim: Path) -> None:
    """The shim without a slot to fail: the guest runs as ever (so the
    failures above are the planted ones, not the shim's)."""
    r = run_hello(shim, None, 512)
    assert r.status == 0, r.describe()
    assert "Hello_Solo5" in r.stdout, r.describe()
