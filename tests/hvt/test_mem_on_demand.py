"""Memory on demand (tenders/hvt/hvt_kvm_slot.c): solo5-hvt registers the
KVM slot of guest memory past the image's first MiBs and below the stack
only when the guest first touches it, and the guest cannot tell.

test_ondemand makes one first touch per run, of one kind (its source lists
them): KVM takes each for an MMIO access or, for SSE on kvm-pvm, for an
instruction its emulator cannot run, and the tender must register the slot
and complete the access, or run the instruction again.  With the slot's
registration made to fail (tests/support/kvm_slot_fail.c) the same runs
show that each first touch did reach the tender, where the slots split
(test_ondemand's `straddle` crosses that line), and that a guest which
touches nothing there never has the slot registered."""

from __future__ import annotations

import platform
import re
from pathlib import Path

import pytest
from devices.helpers import check_success
from support.guest import GuestRun, guest_path, run, tender
from support.kvm_slot import build_shim, failing_env
from support.paths import GUESTS

from .hvt_env import kvm_has_extension, requires_hvt

KVM_CAP_EXIT_ON_EMULATION_FAILURE = 204
pytestmark = [
    requires_hvt,
    pytest.mark.skipif(
        platform.machine() != "x86_64", reason="memory on demand is solo5-hvt's on x86_64 only"
    ),
    pytest.mark.skipif(
        not kvm_has_extension(KVM_CAP_EXIT_ON_EMULATION_FAILURE),
        reason="this KVM lacks KVM_CAP_EXIT_ON_EMULATION_FAILURE: solo5-hvt registers all "
        "of guest memory at start",
    ),
]

MIB = 1 << 20
MEM_MIB = 64
TOUCHES = [
    "store", "load", "sse_store", "sse_load", "rep_stos", "rep_movs", "lock",
    "straddle", "straddle_sse", "block",
]  # fmt: skip
# Upstream-style guests run at CPL0, where kvm-pvm emulates every
# instruction and has no SSE: the rest.
LEGACY_TOUCHES = ["store", "load", "rep_stos", "lock", "straddle", "block"]
ON_FIRST_USE = re.compile(
    r"solo5-hvt: KVM: KVM_SET_USER_MEMORY_REGION \(guest memory "
    r"\[(0x[0-9a-f]+), (0x[0-9a-f]+)\), on its first use\): Cannot allocate memory\n"
)


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shim(tmp_path_factory.mktemp("kvm_slot"))


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_ondemand's block device: byte i is i * 13 + 7 (mod 256)."""
    path = tmp_path_factory.mktemp("ondemand") / "disk.img"
    path.write_bytes(bytes((i * 13 + 7) & 0xFF for i in range(64 * 1024)))
    return path


def touch(kernel: Path, how: str, disk: Path, env: dict[str, str] | None = None) -> GuestRun:
    argv: list[str | Path] = [
        tender("hvt").binary,
        f"--mem={MEM_MIB}",
        f"--block:storage={disk}",
        kernel,
        how,
    ]
    return run(argv, env=env)


def heap_start(result: GuestRun) -> int:
    m = re.search(r"^heap (0x[0-9a-f]+)$", result.stdout, re.MULTILINE)
    assert m, result.describe()
    return int(m.group(1), 16)


@pytest.mark.parametrize("how", TOUCHES)
def test_first_touch(how: str, disk: Path) -> None:
    check_success(touch(guest_path("test_ondemand", "hvt"), how, disk))


@pytest.mark.parametrize("how", TOUCHES)
def test_first_touch_registers_the_slot(how: str, disk: Path, shim: Path) -> None:
    """The slot comes at the first touch, for [heap + 8 MiB, the stack's
    2 MiB): the touch stops the guest when its registration fails."""
    result = touch(guest_path("test_ondemand", "hvt"), how, disk, dict(failing_env(shim, 3)))
    assert result.status == 1, result.describe()
    m = ON_FIRST_USE.fullmatch(result.stderr)
    assert m, result.describe()
    assert int(m.group(1), 16) == heap_start(result) + 8 * MIB, result.describe()
    assert int(m.group(2), 16) == (MEM_MIB - 2) * MIB, result.describe()
    assert "SUCCESS" not in result.stdout, result.describe()


@pytest.mark.parametrize("how", LEGACY_TOUCHES)
def test_first_touch_at_cpl0(how: str, disk: Path) -> None:
    """An upstream-style guest (tests/hvt/test_hvt_legacy.py), at CPL0."""
    kernel = GUESTS / "legacy" / "test_ondemand.hvt"
    assert kernel.is_file(), f"{kernel} is not built: run `scons -Q -j2`"
    check_success(touch(kernel, how, disk))


def test_untouched_memory_gets_no_slot(shim: Path) -> None:
    """A guest that never touches it never has the slot registered (its
    registration fails here, unseen), at the default 512 MiB."""
    argv: list[str | Path] = [tender("hvt").binary, guest_path("test_hello", "hvt"), "Hello_Solo5"]
    result = run(argv, env=dict(failing_env(shim, 3)))
    assert result.status == 0 and "Hello_Solo5" in result.stdout, result.describe()
    assert result.stderr == "", result.describe()


@pytest.mark.parametrize("mem", [2, 32])
def test_small_memory_is_registered_at_start(mem: int, shim: Path) -> None:
    """Below 32 MiB on demand there is no slot 3 (nor 2): all of memory is
    slot 0, and a guest that fills it never needs another."""
    argv: list[str | Path] = [
        tender("hvt").binary,
        f"--mem={mem}",
        guest_path("test_memfill", "hvt"),
    ]
    for slot in (2, 3):
        result = run(argv, env=dict(failing_env(shim, slot)))
        check_success(result)
