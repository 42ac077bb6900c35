"""A core that cannot be written whole leaves no file behind (issue 14).

solo5-hvt-debug --dumpcore and solo5-spt --dumpcore write the core as
DIR/core.<tender>.<pid>.partial and rename it only once complete: a core
that fails half-way (here: DIR is a tmpfs too small for it) is removed,
the failure is reported in one line, and the status is still the guest's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.guest import STAGE_BIN, STATUS_ABORT, guest_path, run, tender, tenders_under_test

from .helpers import small_tmpfs

# solo5-spt, and solo5-hvt's debugging build where hvt is built.
CASES = [("spt", "solo5-spt")] + [("hvt", "solo5-hvt-debug")] * ("hvt" in tenders_under_test())


@pytest.mark.parametrize(("target", "binary"), CASES)
def test_core_that_does_not_fit_is_removed(target: str, binary: str, tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "cores", "16k") as cores:
        argv = [
            STAGE_BIN / binary,
            f"--mem={tender(target).mem}",
            f"--dumpcore={cores}",
            guest_path("test_dumpcore", target),
        ]
        result = run(argv)
        left = sorted(p.name for p in cores.iterdir())
    assert result.status == STATUS_ABORT, result.describe()
    assert "dumpcore: dumping guest core to:" in result.stderr, result.describe()
    assert "No space left on device" in result.stderr, result.describe()
    assert "dumped" not in result.stderr.split("dumping", 1)[1], result.describe()
    assert left == [], f"left behind: {left}"
