"""The aarch64 VM, booted once per session for every case of cases.py.

Needs the aarch64 build (scons builds it when gcc-aarch64-linux-gnu is
installed), qemu-system-aarch64, cpio and the arm64 packages that
scripts/ensure-env.sh installs; the kernel and busybox are downloaded into
the cache on first use (vm.cache_dir()).  The console log of the last boot
is kept in build/tests/aarch64-console.log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from . import cases, vm

TOP = Path(__file__).resolve().parent.parent.parent
CROSS = TOP / "build" / "cross" / "aarch64"
NATIVE_GUESTS = TOP / "build" / "tests"
CONSOLE_LOG = TOP / "build" / "tests" / "aarch64-console.log"
# Boot (~15 s) plus every case; a hung case is cut at CASE_TIMEOUT_S.
BOOT_TIMEOUT_S = 600


@dataclass(frozen=True)
class VmRun:
    boot: vm.Boot
    results: dict[str, vm.CaseResult]


def cross_built() -> Path:
    """build/cross/aarch64, or a failure saying how to get it."""
    if not (CROSS / "bin" / "solo5-spt").is_file():
        pytest.fail(
            f"{CROSS}/bin/solo5-spt is not built: install gcc-aarch64-linux-gnu "
            "(scripts/ensure-env.sh does) and run `scons -Q -j2`"
        )
    return CROSS


def payload(all_cases: list[cases.Case]) -> dict[str, Path]:
    """What goes into /solo5 in the VM: the tenders and every unikernel."""
    cross = cross_built()
    files = {f"/solo5/solo5-{t}": cross / "bin" / f"solo5-{t}" for t in cases.TENDERS}
    for name in sorted(cases.guests(all_cases)):
        if name.startswith("x86_64/"):
            base = name.removeprefix("x86_64/")
            src = NATIVE_GUESTS / base.split(".")[0] / base
        else:
            src = cross / "tests" / name.split(".")[0] / name
        if not src.is_file():
            pytest.fail(f"{src} is not built: run `scons -Q -j2`")
        files[f"/solo5/{name}"] = src
    return files


@pytest.fixture(scope="session")
def vm_run(tmp_path_factory: pytest.TempPathFactory) -> VmRun:
    all_cases = cases.all_cases()
    files = payload(all_cases)
    try:
        kit = vm.fetch_kit(vm.cache_dir())
        image = vm.build_initramfs(
            kit, files, cases.init_script(all_cases), tmp_path_factory.mktemp("aarch64")
        )
        boot = vm.boot(kit, image, BOOT_TIMEOUT_S)
    except vm.VmError as e:
        pytest.fail(str(e))
    CONSOLE_LOG.parent.mkdir(parents=True, exist_ok=True)
    CONSOLE_LOG.write_text(boot.console)
    if vm.DONE not in boot.console:
        pytest.fail(
            f"the VM did not finish its cases (QEMU status {boot.status}); console in "
            f"{CONSOLE_LOG}, ending with:\n{boot.console[-3000:]}"
        )
    return VmRun(boot, vm.parse_results(boot.console))
