"""Unit tests of the tenders' pure core (ELF checks, notes, manifest, parsing).

Each case goes through build/tests/unit/tender_elf_check, a host program that
links tenders/common and prints what the functions return.
"""

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import elfgen
from support.elfgen import CODE, PAGE, PT_LOAD, TEXT_BASE, Elf, Segment

from solo5_toolchain import abi
from solo5_toolchain.targets import PF_R, PF_W, PF_X

WriteElf = Callable[[str, bytes], Path]


def run(harness: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(harness), *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )


def test_valid_unikernel_loads_with_exact_protections(harness: Path, write_elf: WriteElf) -> None:
    path = write_elf(
        "ok.spt", elfgen.guest(devices=[("storage", "BLOCK_BASIC"), ("service0", "NET_BASIC")])
    )
    r = run(harness, path)
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines() == [
        f"protect {TEXT_BASE:#x} {PAGE:#x} R-X",
        f"protect {TEXT_BASE + PAGE:#x} {PAGE:#x} RW-",
        # The .bss segment (p_filesz 0) is protected too, unlike upstream.
        f"protect {TEXT_BASE + 2 * PAGE:#x} {2 * PAGE:#x} RW-",
        f"entry {TEXT_BASE:#x}",
        f"kernel_end {TEXT_BASE + 4 * PAGE:#x}",
        "mft 0 '' RESERVED_FIRST",
        "mft 1 'storage' BLOCK_BASIC",
        "mft 2 'service0' NET_BASIC",
        "OK",
    ]


@pytest.mark.parametrize("name", sorted(elfgen.CASES))
def test_malformed(harness: Path, write_elf: WriteElf, name: str) -> None:
    case = elfgen.CASES[name]
    path = write_elf(f"{name}.spt", case.data)
    r = run(harness, path)
    assert r.returncode == 1, r.stdout
    lines = r.stdout.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: ")
    assert case.message in lines[0]


def test_empty_tdata_segment_at_zero_is_ignored(harness: Path, write_elf: WriteElf) -> None:
    segs = elfgen.guest_segments(CODE["exit7"])
    segs.insert(2, Segment(PT_LOAD, PF_R, 0, b"", memsz=0))
    r = run(harness, write_elf("tdata.spt", Elf(segs).build()))
    assert r.returncode == 0, r.stdout


def test_bss_is_zeroed_and_shares_no_page_with_other_rights(
    harness: Path, write_elf: WriteElf
) -> None:
    segs = elfgen.guest_segments(CODE["exit7"])
    # bss starting inside data's page, same rights: fine.
    segs[2] = Segment(PT_LOAD, PF_R | PF_W, TEXT_BASE + PAGE + 0x100, b"", memsz=PAGE)
    assert run(harness, write_elf("a.spt", Elf(segs).build())).returncode == 0
    # Read-only data sharing a page with the R+X text: refused.
    segs = elfgen.guest_segments(CODE["exit7"])
    segs[1] = Segment(PT_LOAD, PF_R, TEXT_BASE + 0x100, b"rodata")
    r = run(harness, write_elf("b.spt", Elf(segs).build()))
    assert r.returncode == 1
    assert "shares a page with the previous one" in r.stdout


def test_segment_beyond_memory(harness: Path, write_elf: WriteElf) -> None:
    segs = elfgen.guest_segments(CODE["exit7"])
    segs[2] = Segment(PT_LOAD, PF_R | PF_W, TEXT_BASE + 2 * PAGE, b"", memsz=8 << 20)
    path = write_elf("big.spt", Elf(segs).build())
    r = run(harness, "--mem=4", path)
    assert r.returncode == 1
    assert "does not fit in guest memory (4194304 bytes)" in r.stdout
    assert run(harness, "--mem=16", path).returncode == 0


def test_abi_target_and_version_come_from_the_tender(harness: Path, write_elf: WriteElf) -> None:
    path = write_elf("ok.spt", elfgen.guest())
    r = run(harness, "--target=1", path)
    assert r.stdout == f"{path}: Executable is not for the solo5-spt target\n"
    r = run(harness, "--abi-version=1", path)
    assert r.stdout == f"{path}: Executable requests unsupported ABI version 2\n"


def test_first_note_of_each_segment_only(harness: Path, write_elf: WriteElf) -> None:
    """An ABI1 note that is the second note of a segment is not seen."""
    segs = elfgen.guest_segments(CODE["exit7"])
    other = elfgen.note("GNU", 3, b"\0" * 8)
    segs[3] = Segment(elfgen.PT_NOTE, PF_R, 0, other + elfgen.abi_note(), align=4)
    r = run(harness, write_elf("second.spt", Elf(segs).build()))
    assert "No Solo5 ABI information found in executable" in r.stdout


def test_wx_is_checked_for_every_loaded_segment(harness: Path, write_elf: WriteElf) -> None:
    segs = elfgen.guest_segments(CODE["exit7"])
    segs[2] = Segment(PT_LOAD, PF_W | PF_X, TEXT_BASE + 2 * PAGE, b"", memsz=PAGE)
    r = run(harness, write_elf("wx.spt", Elf(segs).build()))
    assert "phdr[2] segment is both writable and executable" in r.stdout


def test_manifest_with_max_devices(harness: Path, write_elf: WriteElf) -> None:
    devices = [(f"storage{i}", "BLOCK_BASIC") for i in range(abi.MFT_MAX_DEVICES)]
    r = run(harness, write_elf("max.spt", elfgen.guest(devices=devices)))
    assert r.returncode == 0, r.stdout
    assert "mft 63 'storage62' BLOCK_BASIC" in r.stdout


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("a", "NET_BASIC"), ("a", "BLOCK_BASIC")], "duplicate device name 'a'"),
        ([("", "NET_BASIC")], "empty device name"),
        ([("a-b", "NET_BASIC")], "device name is not alphanumeric"),
    ],
)
def test_manifest_stricter_than_upstream(
    harness: Path, write_elf: WriteElf, entries: list[tuple[str, str]], message: str
) -> None:
    r = run(harness, write_elf("m.spt", elfgen.guest(devices=entries)))
    assert r.returncode == 1
    assert "Solo5 manifest is invalid" in r.stdout and message in r.stdout


def test_manifest_unknown_type(harness: Path, write_elf: WriteElf) -> None:
    entries = [elfgen.reserved(), elfgen.MftEntry(b"x", 7)]
    data = Elf(elfgen.guest_segments(CODE["exit7"], mft=elfgen.mft_note(entries=entries)))
    r = run(harness, write_elf("t.spt", data.build()))
    assert "Solo5 manifest is invalid: entry 1: unknown device type 0x7" in r.stdout


@pytest.mark.parametrize(
    ("value", "out"),
    [
        ("512", "512"),
        ("1", "1"),
        ("0", None),
        ("", None),
        ("12a", None),
        ("-1", None),
        ("+5", None),
        ("99999999999999999999999", None),
        (str(1 << 44), None),
    ],
)
def test_parse_mem(harness: Path, value: str, out: str | None) -> None:
    r = run(harness, "mem", value)
    if out is None:
        assert r.returncode == 1
        assert "Malformed argument to --mem" in r.stdout
    else:
        assert (r.returncode, r.stdout) == (0, out + "\n")


def test_cmdline_joins_with_single_spaces(harness: Path) -> None:
    r = run(harness, "cmdline", "8192", "a", "b c", "", "d")
    assert r.stdout == "[a b c  d]\n"
    assert run(harness, "cmdline", "8192").stdout == "[]\n"


def test_cmdline_limit_counts_the_nul(harness: Path) -> None:
    assert run(harness, "cmdline", "8", "abc", "def").returncode == 0  # 7 + NUL
    r = run(harness, "cmdline", "8", "abc", "defg")
    assert r.returncode == 1
    assert "Guest command line too long (max=7 characters)" in r.stdout


@pytest.mark.parametrize(
    ("arg", "out"),
    [
        ("--block:storage=/tmp/x=y", "name=[storage] value=[/tmp/x=y]"),
        ("--block:s=", "name=[s] value=[]"),
        ("--net:x=tap0", "not matched"),
        ("--block:", "expected --block:NAME=VALUE"),
        ("--block:=x", "device name must be 1 to 67 characters"),
        ("--block:" + "a" * 68 + "=x", "device name must be 1 to 67 characters"),
        ("--block:a-b=x", "device name 'a-b' is not alphanumeric"),
    ],
)
def test_device_args(harness: Path, arg: str, out: str) -> None:
    assert out in run(harness, "devarg", "--block:", arg).stdout


_VALID = elfgen.guest(devices=[("storage", "BLOCK_BASIC"), ("service0", "NET_BASIC")])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    st.integers(0, len(_VALID)),
)
def test_corrupted_files_never_crash_the_loader(
    harness: Path, tmp_path: Path, flips: list[tuple[int, int]], cut: int
) -> None:
    """Untrusted input: any corruption gives OK or one error line, never a crash."""
    data = bytearray(_VALID)
    for offset, value in flips:
        data[offset] = value
    path = tmp_path / "fuzz.spt"
    path.write_bytes(bytes(data[:cut]))
    r = run(harness, path)
    assert r.returncode in (0, 1), (r.returncode, r.stderr)
    lines = r.stdout.splitlines()
    if r.returncode == 1:
        assert len(lines) == 1 and lines[0].startswith(f"{path}: "), lines
    else:
        assert lines[-1] == "OK"


def _shared_text_page(second: bytes) -> list[Segment]:
    """text R+X in the first half of its page, a second R+X segment in the
    other half (`second`: its bytes; empty: zero-filled only)."""
    segs = elfgen.guest_segments(CODE["exit7"])
    segs[0] = Segment(PT_LOAD, PF_R | PF_X, TEXT_BASE, CODE["exit7"], memsz=PAGE // 2)
    segs.insert(1, Segment(PT_LOAD, PF_R | PF_X, TEXT_BASE + PAGE // 2, second, memsz=PAGE // 2))
    return segs


@pytest.mark.parametrize("second", [b"", b"\x90" * 16], ids=["zero-filled", "with-bytes"])
def test_segments_sharing_a_read_only_page_run(
    spt: Path, write_elf: WriteElf, second: bytes
) -> None:
    """Every segment is in place before any is protected: the second one
    must not find the shared page read-only already (solo5-spt and solo5-hvt
    died with SIGSEGV on the zero-filled case, and refused the other with
    `Bad address`)."""
    path = write_elf("shared.spt", Elf(_shared_text_page(second)).build())
    r = subprocess.run([str(spt), str(path)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 7, (r.returncode, r.stderr)


def test_protection_covers_the_segment_pages_not_its_alignment(
    harness: Path, write_elf: WriteElf
) -> None:
    """A p_align wider than a page must not stretch the protected range back
    over earlier segments (it took X away from the text before)."""
    segs = elfgen.guest_segments(CODE["exit7"])
    segs[2] = Segment(
        PT_LOAD, PF_R | PF_W, TEXT_BASE + 2 * PAGE, b"", memsz=2 * PAGE, align=4 * PAGE
    )
    r = run(harness, write_elf("wide.spt", Elf(segs).build()))
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[:3] == [
        f"protect {TEXT_BASE:#x} {PAGE:#x} R-X",
        f"protect {TEXT_BASE + PAGE:#x} {PAGE:#x} RW-",
        f"protect {TEXT_BASE + 2 * PAGE:#x} {2 * PAGE:#x} RW-",
    ]
