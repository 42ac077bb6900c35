"""solo5-spt and solo5-hvt on aarch64, in one Linux/arm64 VM under QEMU
(TCG; hvt runs nested on the VM's own KVM): every case of cases.py, one
test each, from the console of a single boot (conftest.py)."""

from __future__ import annotations

import hashlib
import re

import pytest
from devices.helpers import expected_test_blk
from integration.test_spt import expected_output_text

from . import cases
from .conftest import VmRun

CASES = {c.name: c for c in cases.all_cases()}


def test_the_vm_offers_kvm(vm_run: VmRun) -> None:
    """hvt needs /dev/kvm in the VM: an emulated EL2 (virtualization=on)."""
    assert "@@solo5-vm kvm=yes" in vm_run.boot.console, vm_run.boot.console[-2000:]


@pytest.mark.parametrize("name", list(CASES))
def test_case(vm_run: VmRun, name: str) -> None:
    case = CASES[name]
    result = vm_run.results.get(name)
    assert result is not None, f"{name}: no result on the console (build/tests/aarch64-console.log)"
    how = f"$ {case.command()}\nstatus {result.status}\n{result.output}"
    assert result.status == case.status, how
    for text in case.expect:
        assert text in result.output, how
    for text in case.reject:
        assert text not in result.output, how
    if "block_size" in case.extra:
        check_block(result.output, int(case.extra["block_size"]), how)
    if "unchanged" in case.extra:
        zero = hashlib.md5(bytes(cases.DISK_BYTES)).hexdigest()
        assert f"{zero}  {cases.DISK}" in result.output, how
    if "output" in case.extra:
        assert expected_output_text() in result.output, how


def check_block(output: str, bs: int, how: str) -> None:
    """The disk after test_blk holds exactly the pattern it wrote."""
    assert f"capacity {cases.DISK_BYTES} bytes, block size {bs}\n" in output, how
    m = re.search(r"multi-block: (\d+) blocks at block 1, (\d+) blocks at the end", output)
    assert m, how
    expected = b"".join(expected_test_blk(cases.DISK_BYTES // bs, bs, int(m.group(2))))
    assert f"{hashlib.md5(expected).hexdigest()}  {cases.DISK}" in output, how
