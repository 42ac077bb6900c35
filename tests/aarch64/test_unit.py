"""The tenders' pure shared code built for aarch64, run under qemu-aarch64
(user mode, this host; no seccomp, no KVM), against the same code built for
this host: the same inputs must give the same answers.

  - build/cross/aarch64/tests/unit/tender_elf_check: the ELF and note
    checks, manifest validation and segment loading of tenders/common on
    every malformed unikernel of tests/support/elfgen.py and a valid one;
  - .../hvt_unit_check: hvt_gpa() (the one check of guest pointers) and
    hvt_mem_round() on a seeded sample of requests, boundaries included;
  - .../tender_core_check: the dumpcore writer (tender_core.c): the same
    core file, byte for byte, for the same guest state.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from support import elfgen

from .conftest import TOP

CROSS_UNIT = TOP / "build" / "cross" / "aarch64" / "tests" / "unit"
NATIVE_UNIT = TOP / "build" / "tests" / "unit"
QEMU_USER = "qemu-aarch64"
EM_X86_64, EM_AARCH64 = 62, 183
E_MACHINE_OFFSET = 18


def harness(name: str) -> tuple[list[str], list[str]]:
    """(native argv, aarch64 argv) of a harness."""
    qemu = shutil.which(QEMU_USER)
    if qemu is None:
        pytest.fail(f"{QEMU_USER} is not installed: apt-get install qemu-user")
    native, cross = NATIVE_UNIT / name, CROSS_UNIT / name
    for path in (native, cross):
        if not path.is_file():
            pytest.fail(f"{path} is not built: run `scons -Q -j2`")
    # The arm64 libc is Debian's multiarch one, under /.
    return [str(native)], [qemu, "-L", "/", str(cross)]


def with_machine(data: bytes, machine: int) -> bytes:
    """`data` with e_machine set (if the header reaches that far)."""
    if len(data) < E_MACHINE_OFFSET + 2 or not data.startswith(b"\x7fELF"):
        return data
    return data[:E_MACHINE_OFFSET] + struct.pack("<H", machine) + data[E_MACHINE_OFFSET + 2 :]


def run(argv: list[str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    proc = subprocess.run(
        [*argv, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    return proc.returncode, proc.stdout


# Cases about the machine itself: each tender accepts only its own.
MACHINE_CASES = {"wrong_machine", "other_arch"}


@pytest.mark.parametrize("name", sorted(set(elfgen.CASES) - MACHINE_CASES))
def test_elf_checks_agree(name: str, tmp_path: Path) -> None:
    native, cross = harness("tender_elf_check")
    case = elfgen.CASES[name]
    x86, arm = tmp_path / "x86_64.spt", tmp_path / "aarch64.spt"
    x86.write_bytes(case.data)
    arm.write_bytes(with_machine(case.data, EM_AARCH64))
    status_x86, out_x86 = run(native, str(x86))
    status_arm, out_arm = run(cross, str(arm))
    assert status_x86 == 1 and case.message in out_x86, out_x86
    assert (status_arm, out_arm.replace(str(arm), "F")) == (1, out_x86.replace(str(x86), "F"))


def test_valid_unikernel_loads_the_same(tmp_path: Path) -> None:
    native, cross = harness("tender_elf_check")
    data = elfgen.guest(devices=[("storage", "BLOCK_BASIC"), ("service0", "NET_BASIC")])
    x86, arm = tmp_path / "x86_64.spt", tmp_path / "aarch64.spt"
    x86.write_bytes(data)
    arm.write_bytes(with_machine(data, EM_AARCH64))
    status_x86, out_x86 = run(native, str(x86))
    assert status_x86 == 0 and out_x86.endswith("OK\n") and "protect" in out_x86, out_x86
    assert run(cross, str(arm)) == (0, out_x86)


@pytest.mark.parametrize("machine", [EM_X86_64, 21])
def test_aarch64_tender_refuses_other_machines(machine: int, tmp_path: Path) -> None:
    _, cross = harness("tender_elf_check")
    path = tmp_path / "other.spt"
    path.write_bytes(with_machine(elfgen.guest(), machine))
    status, out = run(cross, str(path))
    assert status == 1
    assert f"built for machine {machine}, not aarch64 ({EM_AARCH64})" in out, out


def hvt_requests() -> list[str]:
    """gpa and mem requests around every boundary, and at random."""
    rng = random.Random(12)
    mib, top = 1 << 20, (1 << 64) - 1
    edges = [0, 1, 0xFFF, 0x1000, 0x10000, 0xFFFFF, 0x100000, 0x1FFFFF, 0x200000, top, top - 1]
    lines = []
    for mem in (2 * mib, 4 << 30):
        for gpa in [*edges, mem - 1, mem, mem + 1, rng.randrange(top)]:
            for length in (0, 1, 8, mem - gpa if gpa <= mem else 1, top, rng.randrange(top)):
                for access in ("R", "W"):
                    lines.append(f"gpa {mem} {access} {gpa} {length} 1052672 1056768")
    for _ in range(200):
        mem = rng.choice([2 * mib, 512 * mib, rng.randrange(1, 1 << 33) & ~0xFFF])
        gpa, length = rng.randrange(1 << 34), rng.randrange(1 << 34)
        lines.append(f"gpa {mem} {rng.choice('RW')} {gpa} {length}")
    for mem in [0, 1, 2, 3, 511, 512, 4095, 4096, 4097, 1 << 40, (1 << 44) - 1]:
        lines.append(f"mem {mem}")
    return lines


def test_hvt_pure_helpers_agree() -> None:
    native, cross = harness("hvt_unit_check")
    stdin = "\n".join(hvt_requests()) + "\n"
    status_x86, out_x86 = run(native, stdin=stdin)
    status_arm, out_arm = run(cross, stdin=stdin)
    assert status_x86 == status_arm == 0
    answers = out_x86.splitlines()
    assert len(answers) == stdin.count("\n")
    assert "bad request" not in answers
    # Both outcomes occur, so agreement means something.
    assert any(a.startswith("ok ") for a in answers) and any(a.startswith("err ") for a in answers)
    assert out_arm == out_x86


# tender_core_check runs: (core file name, arguments after `dump DIR NAME`).
CORE_NAME = "core.solo5-check.42"
CORE_DUMPS = {
    "plain": ["0x100000", "0x8000"],
    "notes_and_data": [
        "0x100000", "0x10000",
        "note", "0x1", "00" * 336, "note", "0x2", "ab" * 512,
        "put", "0x100000", "4096", "0x5a", "put", "0x10f000", "4096", "0xff",
    ],
    "resident_pages": ["0x100000", "0x20000", "resident", "0x11", "0,3,31"],
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CORE_DUMPS))
def test_core_writer_agrees(case: str, tmp_path: Path) -> None:
    """The dumpcore writer (tender_core.c) built for aarch64 writes the same
    core file, byte for byte, as the host's build for the same guest state."""
    native, cross = harness("tender_core_check")
    outputs = []
    for name, argv in (("x86_64", native), ("aarch64", cross)):
        directory = tmp_path / name
        directory.mkdir()
        status, out = run(argv, "dump", str(directory), CORE_NAME, *CORE_DUMPS[case])
        assert status == 0, out
        outputs.append((out.replace(str(directory), "D"), (directory / CORE_NAME).read_bytes()))
    assert outputs[0][1].startswith(b"\x7fELF") and len(outputs[0][1]) > 4096
    assert outputs[1] == outputs[0]
