"""Fixtures of the xen suite: for the boots on Xen, QEMU and Debian's Xen
hypervisor in the cache scripts/ensure-env.sh fills (SOLO5_ENV=test, as
root).  The host unit tests need neither."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from xen_support import GUESTS, XEN


@pytest.fixture(scope="session")
def xen_machine() -> Path:
    if not (GUESTS / "test_hello" / "test_hello.xen").is_file():
        pytest.skip("the xen target is not built here (the build says why)")
    if shutil.which("qemu-system-x86_64") is None:
        pytest.fail("qemu-system-x86_64 is not installed: run scripts/ensure-env.sh")
    if not XEN.is_file():
        pytest.skip(f"{XEN} is missing: `SOLO5_ENV=test source scripts/ensure-env.sh` as root "
                    "fetches Debian's xen-hypervisor-4.17-amd64")
    return XEN
