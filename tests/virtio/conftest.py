"""Fixtures of the virtio suite: QEMU must be installed (Debian's
qemu-system-x86, listed in scripts/ensure-env.sh)."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session", autouse=True)
def qemu() -> str:
    path = shutil.which("qemu-system-x86_64")
    if path is None:
        pytest.fail("qemu-system-x86_64 is not installed: run scripts/ensure-env.sh")
    return path
