"""A tender started with its standard fds closed (issue 14's review).

Both seccomp policies allow write(2) on fd 1: the console.  A tender started
with fds 0, 1 and 2 closed gave those numbers to the first files it opened:
the unikernel (0), then the block device's file (1).  The guest's console
then went to that file at its end offset (the tender had measured its size),
so every line a guest printed grew its disk past the device's capacity,
around the bounds the filters put on block transfers; on spt a hostile guest
could write(1, ...) as much as it liked.  The tenders now open /dev/null in
place of a closed standard fd before anything else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from devices.helpers import need_module, zero_file
from support.guest import guest_path, run, tender, tenders_under_test

SIZE = 1 << 20


@pytest.mark.parametrize("tender_name", tenders_under_test())
def test_console_of_a_tender_without_stdio_is_not_its_disk(
    tender_name: str, tmp_path: Path
) -> None:
    need_module(tender_name, "block")
    image = zero_file(tmp_path / "storage.img", SIZE)
    t = tender(tender_name)
    argv = [t.binary, f"--mem={t.mem}", f"--block:storage={image}", guest_path("test_blk", t.name)]
    result = run(["sh", "-c", 'exec "$@" 0<&- 1>&- 2>&-', "sh", *argv])
    assert result.status == 0, result.describe()  # test_blk checked its own blocks
    data = image.read_bytes()
    assert len(data) == SIZE, f"the disk grew by {len(data) - SIZE} bytes: {data[SIZE:][:300]!r}"
    assert b"Solo5" not in data, "the console went to the disk"
