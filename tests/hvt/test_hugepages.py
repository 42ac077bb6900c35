"""solo5-hvt --hugepages: guest memory from the host's pool of 2 MiB pages.

The pool is the operator's (vm.nr_hugepages); the tests grow it by a few
pages for themselves and put the old size back afterwards, and skip, with
the reason, where they cannot (not root, or no 2 MiB pages to be had).
That the guest's memory really comes from the pool shows without reading
the tender's mappings: a guest runs with --hugepages while the pool has
room for it, and the same tender refuses one that needs a page more than
the pool has free (hugetlb memory is reserved at mmap, so it fails at
start, in one line), while without the option that guest runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.guest import guest_path, run
from support.hugepages import hugepage_pool, hugepages_free

from .hvt_env import HVT, requires_hvt
from .test_hvt_read_only import MEM_MIB, MIXED, mixed_ro, read_only_guest

pytestmark = requires_hvt

POOL_GROWTH = 16  # 32 MiB: enough for the guests below (MEM_MIB is 22)


@pytest.fixture(scope="module")
def pool() -> Iterator[None]:
    """The pool grown by POOL_GROWTH pages for the module."""
    with hugepage_pool(POOL_GROWTH) as grown:
        if not grown:
            pytest.skip("cannot grow the hugetlb pool (/proc/sys/vm/nr_hugepages: root, memory)")
        yield


def test_a_guest_runs_from_the_pool(pool: None) -> None:
    result = run([HVT, "--hugepages", "--mem=8", guest_path("test_hello", "hvt"), "Hello_Solo5"])
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout, result.describe()
    assert result.stderr == "", result.describe()


def test_a_guest_bigger_than_the_pool_is_refused_at_start(pool: None) -> None:
    pages = hugepages_free() + 1
    argv = [f"--mem={2 * pages}", guest_path("test_hello", "hvt"), "Hello_Solo5"]
    result = run([HVT, "--hugepages", *argv])
    assert result.status == 1, result.describe()
    assert result.stdout == "", result.describe()
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.describe()
    assert lines[0].startswith("solo5-hvt: --hugepages: could not map "), result.describe()
    assert f"(it needs {pages} free pages: see vm.nr_hugepages" in lines[0], result.describe()
    assert run([HVT, *argv]).status == 0


def test_read_only_pages_the_page_tables_cannot_hold_are_refused(
    pool: None, tmp_path: Path
) -> None:
    """More mixed 2 MiB pages than spare page tables: the last one's read-only
    page would need a read-only host page, which a huge page cannot give."""
    kernel = tmp_path / "ro.hvt"
    kernel.write_bytes(read_only_guest(mixed_ro(MIXED) + 0x1000))
    result = run([HVT, "--hugepages", f"--mem={MEM_MIB}", kernel])
    assert result.status == 1, result.describe()
    assert f"--hugepages: guest [{mixed_ro(MIXED):#x}, +0x1000) must be read-only" in (
        result.stderr
    ), result.describe()


def test_hugepages_in_help() -> None:
    result = run([HVT, "--help"])
    assert result.status == 0, result.describe()
    assert "[ --hugepages ] (guest memory from the host's pool of 2 MiB huge pages" in (
        result.stdout + result.stderr
    )


def test_hugepages_takes_no_value() -> None:
    result = run([HVT, "--hugepages=1", guest_path("test_hello", "hvt")])
    assert result.status == 1, result.describe()
    assert "usage: solo5-hvt" in result.stderr, result.describe()
