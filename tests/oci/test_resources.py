"""Memory limit -> --mem, rlimit names, systemd cgroup paths, cpu weight."""

from __future__ import annotations

import resource

import pytest

from solo5_oci.errors import OciError
from solo5_oci.resources import (
    MIB,
    TENDER_OVERHEAD,
    cpu_weight,
    guest_mem_mib,
    rlimit_number,
    rlimit_refused,
    systemd_path,
)


def test_no_limit_is_the_tender_default() -> None:
    assert guest_mem_mib(None, "hvt") is None


def test_overhead_is_taken_off() -> None:
    assert guest_mem_mib(64 * MIB, "spt") == 64 - TENDER_OVERHEAD // MIB
    assert guest_mem_mib(64 * MIB + 12345, "hvt") == 64 - TENDER_OVERHEAD // MIB


def test_hvt_maximum() -> None:
    assert guest_mem_mib(64 << 30, "hvt") == 4096
    assert guest_mem_mib(64 << 30, "spt") == (64 << 10) - TENDER_OVERHEAD // MIB


def test_too_small() -> None:
    smallest = TENDER_OVERHEAD + 2 * MIB
    assert guest_mem_mib(smallest, "hvt") == 2
    with pytest.raises(OciError) as error:
        guest_mem_mib(smallest - 1, "hvt")
    assert str(error.value) == (
        f"memory limit {smallest - 1} bytes: a unikernel needs 2 MiB plus "
        f"{TENDER_OVERHEAD // MIB} MiB for its tender (at least {smallest // MIB} MiB)"
    )


def test_rlimits() -> None:
    assert rlimit_number("RLIMIT_NOFILE") == resource.RLIMIT_NOFILE
    for bad in ("RLIMIT_BOGUS", "NOFILE", "RLIM_INFINITY"):
        with pytest.raises(OciError) as error:
            rlimit_number(bad)
        assert str(error.value) == f"process.rlimits: unknown rlimit type '{bad}'"
    assert "above 1024 (no CAP_SYS_RESOURCE)" in rlimit_refused("RLIMIT_NOFILE", 1, 2, 1024)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("machine.slice:libpod:abc", "/machine.slice/libpod-abc.scope"),
        ("machine-libpod.slice:libpod:abc", "/machine.slice/machine-libpod.slice/libpod-abc.scope"),
        ("system.slice:cri-containerd:x", "/system.slice/cri-containerd-x.scope"),
        ("-.slice::x", "/x"),
        (":p:x", "/p-x.scope"),
    ],
)
def test_systemd_paths(path: str, expected: str) -> None:
    assert systemd_path(path) == expected


@pytest.mark.parametrize("path", ["/a/b", "a:b", "x.scope:p:n"])
def test_bad_systemd_paths(path: str) -> None:
    with pytest.raises(OciError, match=r"^linux\.cgroupsPath "):
        systemd_path(path)


def test_cpu_weight() -> None:
    assert cpu_weight(2) == 1 and cpu_weight(262144) == 10000 and cpu_weight(1024) == 39
