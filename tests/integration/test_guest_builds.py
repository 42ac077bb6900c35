"""Every test unikernel is built for every target whose bindings the build
produced (tests/guests/SConscript), on every architecture built, so no case
silently loses its guest."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.guest import GUESTS, TOP
from support.paths import BUILD

from solo5_toolchain.targets import ARCHES, DEFAULT_ARCH, TARGETS

SOURCES = TOP / "tests" / "guests"
STAGE_LIB = BUILD / "stage" / "lib"

# Guests built for fewer targets than all, and what the C file is called
# when it is shared.
ONLY = {
    "test_seccomp": {"spt"},
    "test_hostile": {"hvt"},
    "test_blk_hostile": {"spt"},
    "test_blk_hvt_raw": {"hvt"},
    "test_blk_wake": {"hvt"},
    "test_ring_hostile": {"hvt"},
    "test_mmio_hostile": {"hvt"},
    "bench_blk": {"hvt", "spt"},
    "bench_net": {"hvt", "spt"},
    "bench_gc": {"hvt", "spt"},
    "bench_tcp": {"hvt", "spt"},
    "test_bigimage": {"hvt", "spt"},
    "test_blk_two": {"hvt", "spt"},
    "test_spt_leak": {"spt"},
    "test_entry_state": {"hvt", "spt"},
    "test_cpuid": {"hvt"},
    "test_blk_fault": {"hvt", "spt"},
    "test_memfill": {"hvt", "spt"},
    "test_ondemand": {"hvt", "spt"},
    "test_crowd": {"hvt", "spt"},
    "test_xen_pagetables": {"xen"},
}
# Guests of one architecture only (their assembly is that architecture's).
ONLY_ARCH = {
    "test_hostile": "x86_64",
    "test_ring_hostile": "x86_64",
    "test_spt_leak": "x86_64",
    "test_cpuid": "x86_64",
    "test_entry_state": "x86_64",
    "test_ondemand": "x86_64",
    "test_mmio_hostile": "aarch64",
    "test_xen_pagetables": "x86_64",
}
SHARED_SOURCE = {"test_net_2if": "test_net", "test_net_ring": "test_net"}
NOT_BUILT = {"common", "test_too_many_entries"}


def guest_names() -> list[str]:
    return sorted(
        d.name
        for d in SOURCES.iterdir()
        if d.is_dir() and d.name not in NOT_BUILT and (d / "manifest.json").is_file()
    )


def arches_built() -> list[str]:
    return [a for a, arch in ARCHES.items() if (STAGE_LIB / arch.triple).is_dir()]


def guests_dir(arch: str) -> Path:
    return GUESTS if arch == DEFAULT_ARCH else TOP / "build" / "cross" / arch / "tests"


def targets_with_bindings(arch: str) -> list[str]:
    lib = STAGE_LIB / ARCHES[arch].triple
    return [t for t in TARGETS if t != "stub" and (lib / f"solo5_{t}.o").is_file()]


def test_guest_sources_are_complete() -> None:
    for name in guest_names():
        source = SHARED_SOURCE.get(name, name)
        assert (SOURCES / source / f"{source}.c").is_file(), f"{name} has no C source"


@pytest.mark.parametrize("arch", arches_built())
@pytest.mark.parametrize("name", guest_names())
def test_guest_is_built_for_every_target(name: str, arch: str) -> None:
    if ONLY_ARCH.get(name, arch) != arch:
        assert not (guests_dir(arch) / name).exists(), f"{name} is built for {arch}"
        return
    wanted = [t for t in targets_with_bindings(arch) if t in ONLY.get(name, set(TARGETS))]
    assert wanted, f"{name} is built for no target"
    missing = [t for t in wanted if not (guests_dir(arch) / name / f"{name}.{t}").is_file()]
    assert not missing, f"{name} is not built for {missing} on {arch}: run `scons -Q -j2`"


def test_hello_is_linked_with_the_default_stub() -> None:
    stub: Path = GUESTS / "test_hello" / "test_hello.stub"
    assert stub.is_file(), f"{stub} is not built"
    assert stub.read_bytes()[:4] == b"\x7fELF"
