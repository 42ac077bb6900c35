"""solo5-hvt's x86_64 page tables, page by page, against a model.

build/tests/unit/hvt_unit_check's "pt" request runs the tender's own
hvt_cpu_page_tables() for random layouts of read-only and executable
segments and walks the tables as the CPU would (tests/hvt/
hvt_unit_arch_x86_64.c). The model here states the rules of
tenders/hvt/hvt_cpu_x86_64.c independently:

* below 0x10000 nothing is mapped; the boot info [0x10000, 0x100000) is
  read-only; from 0x100000 every page is writable unless a read-only
  segment holds it;
* with NX, only pages of executable segments execute;
* every entry is user-accessible (CPL3) and accessed, writable ones dirty;
* a 2 MiB page whose pages agree is one entry; the first seven that mix
  permissions (in address order, the first 2 MiB apart) get 4 KiB tables;
  any later one is mapped writable and executable where any of its pages
  is, and the host maps its read-only pages read-only instead.

W^X follows from the model and is checked on its own as well: no page of
a read-only segment is writable in both the tables and the host mapping,
and no page of an executable segment is denied execution. No KVM needed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.paths import BUILD

CHECK = BUILD / "tests" / "unit" / "hvt_unit_check"
PAGE = 4096
BLOCK_PAGES = 512  # 2 MiB
BOOT_INFO = 0x10000 // PAGE
GUEST_MIN = 0x100000 // PAGE
SPARE_TABLES = 7
RO_MAX = 16  # HVT_RO_MAX

Segment = tuple[str, int, int]  # kind (r: read-only, x: read-only executable), first page, end


@pytest.fixture(scope="module")
def harness() -> Iterator[subprocess.Popen[str]]:
    assert CHECK.is_file(), f"{CHECK} is not built: run `scons -Q -j2`"
    proc = subprocess.Popen([CHECK], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    yield proc
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def ask(proc: subprocess.Popen[str], mib: int, nx: bool, segments: list[Segment]) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    ranges = "".join(f" {k} {first * PAGE} {end * PAGE}" for k, first, end in segments)
    proc.stdin.write(f"pt {mib} {int(nx)}{ranges}\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def page_bits(page: int, nx: bool, ro: set[int], x: set[int]) -> tuple[bool, bool] | None:
    """(writable, executable) of one page, None if unmapped."""
    if page < BOOT_INFO:
        return None
    return page >= GUEST_MIN and page not in ro, page in x or not nx


def flags(bits: tuple[bool, bool] | None, host_ro: bool) -> str:
    if bits is None:
        return "-"
    w, ex = bits
    return (
        ("w" if w else "r")
        + ("x" if ex else "n")
        + "ua"
        + ("d" if w else "")
        + ("H" if host_ro else "")
    )


def model(mib: int, nx: bool, segments: list[Segment]) -> list[str]:
    """Every page's flags as hvt_unit_check prints them."""
    ro = {p for _, first, end in segments for p in range(first, end)}
    x = {p for k, first, end in segments if k == "x" for p in range(first, end)}
    pages = [page_bits(p, nx, ro, x) for p in range(mib * 256)]
    out = [flags(b, False) for b in pages]
    mixed = 0
    for block in range(1, mib // 2):
        span = range(block * BLOCK_PAGES, (block + 1) * BLOCK_PAGES)
        if len({pages[p] for p in span}) == 1:
            continue
        mixed += 1
        if mixed <= SPARE_TABLES:
            continue
        loose = (
            any(pages[p][0] for p in span if pages[p]),  # type: ignore[index]
            any(pages[p][1] for p in span if pages[p]),  # type: ignore[index]
        )
        for p in span:
            out[p] = flags(loose, p in ro)
    return out


def runs(per_page: list[str]) -> str:
    parts, start = [], 0
    for i in range(1, len(per_page) + 1):
        if i == len(per_page) or per_page[i] != per_page[start]:
            parts.append(f"{start * PAGE}-{i * PAGE}:{per_page[start]}")
            start = i
    return "ok " + " ".join(parts)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[int, bool, list[Segment]]:
    """Guest memory, NX, and up to 16 sorted, disjoint read-only segments
    from 1 MiB on; many small ones spread out make more than seven mixed
    2 MiB pages."""
    mib = draw(st.sampled_from([4, 8, 32]))
    cuts = draw(
        st.lists(st.integers(GUEST_MIN, mib * 256), min_size=2, max_size=2 * RO_MAX, unique=True)
    )
    cuts = sorted(cuts)[: len(cuts) // 2 * 2]
    kinds = draw(st.lists(st.sampled_from("rx"), min_size=len(cuts) // 2, max_size=len(cuts) // 2))
    segments = [(k, cuts[2 * i], cuts[2 * i + 1]) for i, k in enumerate(kinds)]
    return mib, draw(st.booleans()), segments


def check_w_xor_x(answer: str, segments: list[Segment], nx: bool) -> None:
    """Read-only pages are never writable in both the tables and the host;
    executable ones always execute."""
    per_page: dict[int, str] = {}
    for run in answer.split()[1:]:
        span, f = run.split(":")
        lo, hi = (int(v) // PAGE for v in span.split("-"))
        per_page.update(dict.fromkeys(range(lo, hi), f))
    for kind, first, end in segments:
        for p in range(first, end):
            f = per_page[p]
            assert f.startswith("r") or "H" in f, (p, f)
            if kind == "x":
                assert f[1] == "x", (p, f)


@settings(max_examples=300, deadline=None)
@given(layout=layouts())
def test_page_tables_follow_the_segments(
    harness: subprocess.Popen[str], layout: tuple[int, bool, list[Segment]]
) -> None:
    mib, nx, segments = layout
    answer = ask(harness, mib, nx, segments)
    if answer == "none":
        pytest.skip("no x86_64 page tables on this architecture")
    assert answer == runs(model(mib, nx, segments)), segments
    check_w_xor_x(answer, segments, nx)


def test_the_eighth_mixed_2_mib_page_falls_back_to_the_host(
    harness: subprocess.Popen[str],
) -> None:
    """One read-only page at the start of 2 MiB pages 1 to 8: the eighth
    has no table left, so its read-only page is read-only in the host."""
    segments = [("r", b * BLOCK_PAGES, b * BLOCK_PAGES + 1) for b in range(1, 9)]
    answer = ask(harness, 32, True, segments)
    if answer == "none":
        pytest.skip("no x86_64 page tables on this architecture")
    assert f"{8 * 2 << 20}-{(8 * 2 << 20) + PAGE}:wnuadH" in answer.split(), answer
    assert f"{7 * 2 << 20}-{(7 * 2 << 20) + PAGE}:rnua" in answer.split(), answer
    assert answer == runs(model(32, True, segments))
