"""solo5-hvt's pure helpers against a Python model (build/tests/unit/hvt_unit_check).

hvt_gpa() is the one check every guest pointer goes through; here it meets
arbitrary 64-bit addresses and lengths (wrap-around included) and read-only
ranges, and must agree with exact integer arithmetic.  These tests need no
KVM.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.paths import BUILD

CHECK = BUILD / "tests" / "unit" / "hvt_unit_check"
MIB = 1 << 20
U64 = st.integers(min_value=0, max_value=2**64 - 1)
GUEST_MIN_BASE = 0x100000


class Harness:
    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    assert CHECK.is_file(), f"{CHECK} is not built: run `scons -Q -j2`"
    h = Harness(CHECK)
    yield h
    h.close()


def model_gpa(mem: int, write: bool, gpa: int, length: int, ro: Sequence[tuple[int, int]]) -> bool:
    if gpa + length > mem:
        return False
    if not write:
        return True
    if gpa < GUEST_MIN_BASE:
        return False
    return not any(length > 0 and gpa < end and start < gpa + length for start, end in ro)


def ask_gpa(
    h: Harness, mem: int, write: bool, gpa: int, length: int, ro: Sequence[tuple[int, int]] = ()
) -> str:
    ranges = " ".join(f"{s} {e}" for s, e in ro)
    return h.ask(f"gpa {mem} {'W' if write else 'R'} {gpa} {length} {ranges}".strip())


MEM_SIZES = st.sampled_from([2 * MIB, 64 * MIB, 4096 * MIB])
NEAR_EDGES = st.one_of(
    U64,
    st.integers(min_value=0, max_value=8 * MIB),
    st.integers(min_value=2**64 - 8 * MIB, max_value=2**64 - 1),
)


@settings(max_examples=2000, deadline=None)
@given(mem=MEM_SIZES, write=st.booleans(), gpa=NEAR_EDGES, length=NEAR_EDGES)
def test_gpa_agrees_with_exact_arithmetic(
    harness: Harness, mem: int, write: bool, gpa: int, length: int
) -> None:
    answer = ask_gpa(harness, mem, write, gpa, length)
    if model_gpa(mem, write, gpa, length, ()):
        assert answer == f"ok {gpa}"
    else:
        assert answer == f"err Invalid guest access: gpa={gpa:#x}, sz={length}"


@settings(max_examples=1000, deadline=None)
@given(
    gpa=st.integers(min_value=0, max_value=4 * MIB),
    length=st.integers(min_value=0, max_value=2 * MIB),
    ro=st.lists(
        st.tuples(st.integers(0, 1024), st.integers(1, 256)).map(
            lambda t: (GUEST_MIN_BASE + t[0] * 4096, GUEST_MIN_BASE + (t[0] + t[1]) * 4096)
        ),
        max_size=4,
    ),
)
def test_gpa_writes_never_reach_read_only_ranges(
    harness: Harness, gpa: int, length: int, ro: list[tuple[int, int]]
) -> None:
    mem = 8 * MIB
    answer = ask_gpa(harness, mem, True, gpa, length, ro)
    assert answer.startswith("ok") == model_gpa(mem, True, gpa, length, ro), (gpa, length, ro)
    # Reads are not restricted by the segments' protections.
    assert ask_gpa(harness, mem, False, gpa, length, ro).startswith("ok") == (gpa + length <= mem)


def test_gpa_whole_memory_and_edges(harness: Harness) -> None:
    mem = 2 * MIB
    assert ask_gpa(harness, mem, False, 0, mem) == "ok 0"
    assert ask_gpa(harness, mem, False, mem, 0) == f"ok {mem}"
    assert ask_gpa(harness, mem, False, mem - 1, 2).startswith("err")
    assert ask_gpa(harness, mem, False, 1, 2**64 - 1).startswith("err")  # wraps to 0
    assert ask_gpa(harness, mem, True, GUEST_MIN_BASE - 1, 1).startswith("err")
    assert ask_gpa(harness, mem, True, 0x10000, 8).startswith("err")  # the boot info


@pytest.mark.parametrize(
    ("mib", "answer"),
    [
        (2, f"ok {2 * MIB} 0"),
        (3, f"ok {2 * MIB} 1"),
        (512, f"ok {512 * MIB} 0"),
        (4096, f"ok {4096 * MIB} 0"),
        (4097, f"ok {4096 * MIB} 1"),
        (1, "err guest memory size 1048576 bytes is below the min size 2097152 bytes (--mem=2)"),
        (4098, f"err guest memory size {4098 * MIB} bytes exceeds the max size 4294967296 bytes"),
        (
            (2**64 - 1) >> 20,
            f"err guest memory size {((2**64 - 1) >> 20 << 20) & ~(2 * MIB - 1)} bytes "
            "exceeds the max size 4294967296 bytes",
        ),
    ],
)
def test_mem_rounding(harness: Harness, mib: int, answer: str) -> None:
    assert harness.ask(f"mem {mib}") == answer


@pytest.mark.parametrize(
    ("hexbytes", "fpu"),
    [
        ("0f57c0", True),  # xorps %xmm0,%xmm0
        ("f30f1005", True),  # movss (rip), %xmm0
        ("660fefc0", True),  # pxor %xmm0,%xmm0
        ("d9ee", True),  # fldz
        ("0fae18", True),  # stmxcsr (%rax)
        ("0faef0", False),  # mfence (0f ae /6)
        ("0f01d0", True),  # xgetbv
        ("c5f877", True),  # vzeroupper (VEX)
        ("0f38f0", False),  # movbe
        ("4889c7", False),  # mov %rax,%rdi
        ("f4", False),  # hlt
        ("", False),
    ],
)
def test_fpu_instruction_classes(harness: Harness, hexbytes: str, fpu: bool) -> None:
    assert harness.ask(f"insn {hexbytes}") == ("fpu" if fpu else "other")
