"""Every test unikernel is built for every target whose bindings the build
produced (tests/guests/SConscript), so no case silently loses its guest."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.guest import GUESTS, TOP
from support.paths import BUILD

from solo5_toolchain.targets import TARGETS

SOURCES = TOP / "tests" / "guests"
LIB = BUILD / "stage" / "lib" / "x86_64-solo5-none-static"

# Guests built for fewer targets than all, and what the C file is called
# when it is shared.
ONLY = {
    "test_seccomp": {"spt"},
    "test_hostile": {"hvt"},
    "test_blk_hostile": {"spt"},
    "test_blk_hvt_raw": {"hvt"},
    "test_ring_hostile": {"hvt"},
    "bench_blk": {"hvt", "spt"},
    "bench_net": {"hvt", "spt"},
    "bench_gc": {"hvt", "spt"},
    "bench_tcp": {"hvt", "spt"},
    "test_spt_leak": {"spt"},
    "test_entry_state": {"hvt", "spt"},
    "test_cpuid": {"hvt"},
    "test_blk_fault": {"hvt", "spt"},
    "test_memfill": {"hvt", "spt"},
    "test_crowd": {"hvt", "spt"},
    "test_xen_pagetables": {"xen"},
}
SHARED_SOURCE = {"test_net_2if": "test_net", "test_net_ring": "test_net"}
NOT_BUILT = {"common", "test_too_many_entries"}


def guest_names() -> list[str]:
    return sorted(
        d.name
        for d in SOURCES.iterdir()
        if d.is_dir() and d.name not in NOT_BUILT and (d / "manifest.json").is_file()
    )


def targets_with_bindings() -> list[str]:
    return [t for t in TARGETS if t != "stub" and (LIB / f"solo5_{t}.o").is_file()]


def test_guest_sources_are_complete() -> None:
    for name in guest_names():
        source = SHARED_SOURCE.get(name, name)
        assert (SOURCES / source / f"{source}.c").is_file(), f"{name} has no C source"


@pytest.mark.parametrize("name", guest_names())
def test_guest_is_built_for_every_target(name: str) -> None:
    wanted = [t for t in targets_with_bindings() if t in ONLY.get(name, set(TARGETS))]
    assert wanted, f"{name} is built for no target"
    missing = [t for t in wanted if not (GUESTS / name / f"{name}.{t}").is_file()]
    assert not missing, f"{name} is not built for {missing}: run `scons -Q -j2`"


def test_hello_is_linked_with_the_default_stub() -> None:
    stub: Path = GUESTS / "test_hello" / "test_hello.stub"
    assert stub.is_file(), f"{stub} is not built"
    assert stub.read_bytes()[:4] == b"\x7fELF"
