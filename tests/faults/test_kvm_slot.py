"""solo5-hvt's memory slots fail cleanly (hvt_kvm_slot.c).

Guest memory's KVM slot is registered on a helper thread while the tender
sets up the vCPU, and the I/O rings' slot after it, just before the first
KVM_RUN.  A failure of either (here an ENOMEM planted by an LD_PRELOAD
library, tests/faults/kvm_slot_fail.c) must end the start the way a failure
on the main thread did: one line naming the ioctl, status 1, and no guest
output, since the guest never ran."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support.guest import TOP, guest_path, tender

SHIM_SOURCE = TOP / "tests" / "faults" / "kvm_slot_fail.c"


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kvm_slot") / "kvm_slot_fail.so"
    subprocess.run(
        ["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
         "-o", str(out), str(SHIM_SOURCE), "-ldl"],
        check=True,
    )  # fmt: skip
    return out


def run_hvt(shim: Path, slot: str | None) -> subprocess.CompletedProcess[str]:
    t = tender("hvt")
    env = dict(os.environ, LD_PRELOAD=str(shim))
    if slot is not None:
        env["KVM_SLOT_FAIL"] = slot
    argv = [str(t.binary), f"--mem={t.mem}", str(guest_path("test_hello", "hvt")), "Hello_Solo5"]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("0", "KVM: KVM_SET_USER_MEMORY_REGION: Cannot allocate memory"),
        ("1", "KVM: KVM_SET_USER_MEMORY_REGION (I/O rings): Cannot allocate memory"),
    ],
)
def test_slot_failure_stops_the_start(shim: Path, slot: str, message: str) -> None:
    r = run_hvt(shim, slot)
    assert r.returncode == 1, r
    assert r.stderr == f"solo5-hvt: {message}\n", r.stderr
    assert r.stdout == "", r.stdout


def test_shim_alone_changes_nothing(shim: Path) -> None:
    """The shim without a slot to fail: the guest runs as ever (so the
    failures above are the planted ones, not the shim's)."""
    r = run_hvt(shim, None)
    assert r.returncode == 0, r
    assert "Hello_Solo5" in r.stdout, r.stdout
