"""Our hvt unikernels at CPL0: how they run on upstream's solo5-hvt.

solo5-hvt offers HVT_FEATURE_USER_MODE and our bindings drop to CPL3 early;
an upstream tender never sets that bit, and then the bindings must stay at
CPL0 for the whole run.  build/tests/unit/hvt_cpl0_tender is solo5-hvt
built without the bit (no U in the page tables, host_features 0; source
tests/hvt/hvt_cpl0_tender.c): the same tender code otherwise, so these runs
test the bindings' CPL0 path, not a second tender.  (solo5-hvt has no option
for this on purpose.)  On kvm-pvm CPL0 is emulated and slow: the cases here
are small.  The other direction, guests that ignore the bits on the real
solo5-hvt (as upstream's do), is test_hvt_legacy.py.
"""

from __future__ import annotations

import pytest
from support.guest import STATUS_ABORT, GuestRun, guest_path, run
from support.paths import BUILD

from .hvt_env import requires_hvt
from .test_hvt_guests import (
    BANNER,
    FPU_DIAGNOSIS,
    PAGE_FAULTS,
    check_nx,
    check_page_fault,
    check_read_only,
)

pytestmark = requires_hvt

CPL0_TENDER = BUILD / "tests" / "unit" / "hvt_cpl0_tender"


def cpl0(guest: str, *args: str) -> GuestRun:
    assert CPL0_TENDER.is_file(), f"{CPL0_TENDER} is not built: run `scons -Q -j2`"
    return run([CPL0_TENDER, "--mem=2", guest_path(guest, "hvt"), *args])


def test_hello() -> None:
    result = cpl0("test_hello", "Hello_Solo5")
    assert result.status == 0, result.describe()
    assert BANNER.format("test_hello") in result.stdout
    assert "Hello, World\nCommand line is: 'Hello_Solo5'\nSUCCESS\n" in result.stdout
    assert result.stderr == "", result.describe()


@pytest.mark.parametrize("guest", ["test_tls", "test_globals"])
def test_success(guest: str) -> None:
    # test_tls: the TLS base through wrmsr, as upstream's bindings do.
    result = cpl0(guest)
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout and "FAILURE" not in result.stdout
    assert result.stderr == "", result.describe()


@pytest.mark.parametrize("status", [0, 42, 255])
def test_halt_status_is_the_exit_status(status: int) -> None:
    result = cpl0("test_exit", str(status))
    assert result.status == status, result.describe()


@pytest.mark.parametrize(("guest", "error_code", "cr2"), PAGE_FAULTS)
def test_page_faults_are_supervisor_accesses(guest: str, error_code: int, cr2: int) -> None:
    # No U bit in the error code: the fault happened at CPL0.
    check_page_fault(cpl0(guest), guest, error_code, cr2)


@pytest.mark.parametrize("guest", ["test_xnow", "test_rnow"])
def test_write_to_read_only_segment_is_a_page_fault(guest: str) -> None:
    # CR0.WP: the page tables' read-only bind CPL0 as well.
    check_read_only(cpl0(guest), guest, 0)


def test_execute_from_data_is_a_page_fault() -> None:
    check_nx(cpl0("test_wnox"), 0)


def test_port_outside_the_hypercall_range_is_the_tenders_error() -> None:
    # At CPL0 nothing in the guest stops the `out`: the tender names the port.
    result = cpl0("test_hostile", "port")
    assert result.status == 1, result.describe()
    assert result.stderr == "solo5-hvt: Invalid guest port access: port=0x4ff\n"
    assert "the tender resumed the guest" not in result.stdout


def test_fpu() -> None:
    """At CPL0, kvm-pvm cannot run x87/SSE (docs/kvm-pvm.md §2): the tender's
    diagnosis, then a skip naming it; a KVM that can must run it to SUCCESS."""
    result = cpl0("test_fpu")
    if result.status == 1 and FPU_DIAGNOSIS in result.stderr:
        pytest.skip(f"this KVM cannot run FPU/SSE guests at CPL0: {result.stderr.strip()}")
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout


def test_abort_is_255() -> None:
    result = cpl0("test_ssp")
    assert result.status == STATUS_ABORT, result.describe()
    assert "Solo5: ABORT: Stack corruption detected" in result.stdout
