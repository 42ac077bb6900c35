"""Fixtures of the solo5-oci suites."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import RUNTIME, Runtime, cgroup_dirs


@pytest.fixture(scope="session")
def cgroup_parent() -> Iterator[str]:
    """A cgroup the tests' containers go under, removed at the end."""
    parent = f"/solo5-oci-test-{uuid.uuid4().hex[:8]}"
    yield parent
    for path in sorted(cgroup_dirs(parent), key=lambda p: -len(p.parts)):
        for child in sorted(path.glob("**/"), key=lambda p: -len(p.parts)):
            child.rmdir()


@pytest.fixture
def runtime(tmp_path: Path, cgroup_parent: str) -> Runtime:
    """solo5-oci, built, with a private --root; root needed."""
    if os.geteuid() != 0:
        pytest.skip("solo5-oci runs containers as root (namespaces, cgroups, taps)")
    assert RUNTIME.is_file(), f"{RUNTIME} is not built: run `scons -Q -j2`"
    return Runtime(tmp_path / "root", cgroup_parent)
