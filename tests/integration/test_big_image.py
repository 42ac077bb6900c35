"""An image that spans several huge pages of guest memory arrives whole.

solo5-hvt faults the image's huge pages in on a helper thread while its
main thread creates the VM and loads the image (tenders/hvt/
hvt_mem_prefault.c); test_bigimage checks every byte of a 5 MiB read-only
and a 3 MiB writable array, on both tenders, with guest memory that ends
right after the image (the last 2 MiB, never a huge page, are left out of
the helper's range; hvt's linker script starts both arrays on 2 MiB pages,
so the image ends past 11 MiB) and with room to spare.
"""

from __future__ import annotations

import pytest
from support.guest import run_guest, tenders_under_test


@pytest.mark.parametrize("tender_name", tenders_under_test())
@pytest.mark.parametrize("mem", [12, 64])
def test_big_image_loads_whole(tender_name: str, mem: int) -> None:
    result = run_guest(tender_name, "test_bigimage", mem=mem)
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout, result.describe()
