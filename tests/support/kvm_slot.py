"""tests/support/kvm_slot_fail.c, built for a test session: an LD_PRELOAD
library that makes solo5-hvt's KVM_SET_USER_MEMORY_REGION fail for one slot
(the environment variable KVM_SLOT_FAIL), to show when the tender registers
which slot and what it says when that fails."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from support.paths import TOP

SOURCE = TOP / "tests" / "support" / "kvm_slot_fail.c"


def build_shim(directory: Path) -> Path:
    out = directory / "kvm_slot_fail.so"
    subprocess.run(
        ["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
         "-o", str(out), str(SOURCE), "-ldl"],
        check=True,
    )  # fmt: skip
    return out


def failing_env(shim: Path, slot: int | None) -> Mapping[str, str]:
    """The environment for a tender run with `slot` failing (None: none)."""
    env = dict(os.environ, LD_PRELOAD=str(shim))
    if slot is not None:
        env["KVM_SLOT_FAIL"] = str(slot)
    return env
