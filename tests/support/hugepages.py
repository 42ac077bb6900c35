"""The host's hugetlb pool (vm.nr_hugepages), grown for a while (root), for
solo5-hvt --hugepages in the tests and the benches."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

NR_HUGEPAGES = Path("/proc/sys/vm/nr_hugepages")


def hugepages_free() -> int:
    """HugePages_Free of /proc/meminfo: pool pages nobody has mapped."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


@contextlib.contextmanager
def hugepage_pool(pages: int) -> Iterator[bool]:
    """Grows the pool by `pages` 2 MiB pages and shrinks it back afterwards;
    yields whether the kernel found them all (memory may be too fragmented,
    and only root may grow it)."""
    try:
        old = NR_HUGEPAGES.read_text()
        free = hugepages_free()
        NR_HUGEPAGES.write_text(str(int(old) + pages))
    except OSError:
        yield False
        return
    try:
        yield hugepages_free() >= free + pages
    finally:
        NR_HUGEPAGES.write_text(old)
