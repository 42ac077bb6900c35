"""A memory cgroup limit below --mem (issue 14).

Guest memory is mapped lazily, so without a check a tender in a cgroup
whose limit is below --mem starts, and its guest is OOM-killed later,
whenever it first touches enough memory: in the middle of a write, say.
The tenders compare --mem (plus their own needs) with the limit of their
memory cgroup at start-up and refuse with one line; below the limit the
guest can use every page it was given.
"""

from __future__ import annotations

import pytest
from support.guest import guest_path, run, tender, tenders_under_test

from .helpers import in_cgroup, memory_cgroup

TENDERS = tenders_under_test()
MIB = 1 << 20


@pytest.mark.parametrize("tender_name", TENDERS)
def test_mem_above_the_cgroup_limit_is_refused_at_start(tender_name: str) -> None:
    t = tender(tender_name)
    with memory_cgroup(64 * MIB) as procs:
        argv = [t.binary, "--mem=128", guest_path("test_memfill", t.name)]
        result = run(in_cgroup(procs, argv))
    assert result.status == 1, result.describe()
    assert "memory cgroup" in result.stderr and "64 MiB" in result.stderr, result.describe()
    assert result.stderr.count("\n") == 1, result.describe()
    assert "Solo5 standalone" not in result.stdout, "the guest must not start"


@pytest.mark.parametrize("tender_name", TENDERS)
def test_guest_uses_all_its_memory_below_the_limit(tender_name: str) -> None:
    t = tender(tender_name)
    with memory_cgroup(64 * MIB) as procs:
        argv = [t.binary, "--mem=32", guest_path("test_memfill", t.name)]
        result = run(in_cgroup(procs, argv))
    assert result.status == 0 and "SUCCESS" in result.stdout, result.describe()
