"""Unit tests of the guest core writer, tenders/common/tender_core.c.

Each case runs build/tests/unit/tender_core_check (tests/tenders/
tender_core_check.c), which drives the writer from a small command language,
then reads the core file it produced with pyelftools and byte by byte. The
end-to-end tests (gdb opening real cores) are in tests/debug/test_dumpcore.py.
"""

import os
import shutil
import stat
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.segments import NoteSegment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import BUILD

PAGE = 4096
BASE = 0x100000
TENDER = "solo5-check"  # the harness's tender name in the report lines
NAME = "core.solo5-check.42"
EHDR_SIZE = 64
PHDR_SIZE = 56
NOTES_OFFSET = EHDR_SIZE + 2 * PHDR_SIZE
NOTE_HEADER = 12 + 8  # Elf64_Nhdr, then "CORE" padded to 8
NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE = 1, 2, 0x202
PF_RWX = 7


@dataclass
class Dump:
    """One run of `tender_core_check dump`, described as the test expects it."""

    size: int
    base: int = BASE
    notes: list[tuple[int, bytes]] = field(default_factory=list)
    puts: list[tuple[int, int, int]] = field(default_factory=list)  # addr, len, byte
    resident: tuple[int, list[int]] | None = None  # byte, page indexes
    exists: bool = False

    def args(self, directory: Path | str, name: str = NAME) -> list[str]:
        args = ["dump", *(["--exists"] if self.exists else [])]
        args += [str(directory), name, hex(self.base), hex(self.size)]
        for ntype, desc in self.notes:
            args += ["note", hex(ntype), desc.hex()]
        for addr, length, byte in self.puts:
            args += ["put", hex(addr), str(length), hex(byte)]
        if self.resident is not None:
            byte, pages = self.resident
            args += ["resident", hex(byte), ",".join(map(str, pages))]
        return args


def page_bytes(addr: int, byte: int) -> bytes:
    """What the harness writes for the page at guest address addr."""
    return struct.pack("<Q", addr) + bytes([byte]) * (PAGE - 8)


def expected_memory(d: Dump) -> bytes:
    mem = bytearray(d.size)
    for addr, length, byte in d.puts:
        for at in range(addr, addr + length, PAGE):
            off = at - d.base
            mem[off : off + PAGE] = page_bytes(at, byte)
    if d.resident is not None:
        byte, pages = d.resident
        for idx in pages:
            mem[idx * PAGE : (idx + 1) * PAGE] = page_bytes(d.base + idx * PAGE, byte)
    return bytes(mem)


def expected_notes(notes: list[tuple[int, bytes]]) -> bytes:
    out = b""
    for ntype, desc in notes:
        pad = b"\0" * (-len(desc) % 4)
        out += struct.pack("<III", 5, len(desc), ntype) + b"CORE\0\0\0\0" + desc + pad
    return out


def start_line(directory: Path | str, name: str = NAME) -> str:
    return f"{TENDER}: dumpcore: dumping guest core to: {directory}/{name}"


def done_line(pages: int, total: int) -> str:
    return f"{TENDER}: dumpcore: dumped {pages} pages of total {total} pages"


@pytest.fixture(scope="session")
def core_check(top: Path) -> Path:
    path = BUILD / "tests" / "unit" / "tender_core_check"
    if not path.is_file():
        pytest.fail(f"{path} is not built: run `scons -j2`")
    return path


def run(
    harness: Path, *args: str, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, str(harness), *args], capture_output=True, text=True, timeout=60, check=False
    )


def dump_ok(harness: Path, directory: Path, d: Dump) -> Path:
    r = run(harness, *d.args(directory))
    assert r.returncode == 0, r.stdout + r.stderr
    return directory / NAME


def read_notes(path: Path) -> list[tuple[str, object, bytes]]:
    """(name, type, descriptor) of each note of the PT_NOTE, as pyelftools reads them."""
    with path.open("rb") as f:
        seg = ELFFile(f).get_segment(0)
        assert isinstance(seg, NoteSegment)
        return [(n["n_name"], n["n_type"], n["n_descdata"]) for n in seg.iter_notes()]


def check_core(path: Path, d: Dump) -> None:
    """Everything a reader of the core file sees, against what d put in."""
    data = path.read_bytes()
    with path.open("rb") as f:
        elf = ELFFile(f)
        assert elf.elfclass == 64 and elf.little_endian
        assert elf["e_type"] == "ET_CORE"
        assert elf["e_machine"] == "EM_X86_64"
        assert elf["e_phoff"] == EHDR_SIZE and elf["e_phentsize"] == PHDR_SIZE
        assert elf.num_sections() == 0
        segs = [s.header for s in elf.iter_segments()]
        assert [s["p_type"] for s in segs] == ["PT_NOTE", "PT_LOAD"]
    note, load = segs
    got = read_notes(path)
    # The notes: right after the program headers, each named "CORE", in the
    # order given, and with the exact padding.
    want_notes = expected_notes(d.notes)
    assert note["p_offset"] == NOTES_OFFSET
    assert note["p_filesz"] == len(want_notes)
    assert data[NOTES_OFFSET : NOTES_OFFSET + len(want_notes)] == want_notes
    assert [(name, desc) for name, _, desc in got] == [("CORE", desc) for _, desc in d.notes]
    # The guest range: one RWX PT_LOAD at the guest base, page-aligned offset
    # past the notes, file and memory size the whole range.
    assert load["p_flags"] == PF_RWX
    assert load["p_vaddr"] == load["p_paddr"] == d.base
    assert load["p_filesz"] == load["p_memsz"] == d.size
    off = load["p_offset"]
    assert (
        off % PAGE == 0
        and NOTES_OFFSET + len(want_notes) <= off < NOTES_OFFSET + len(want_notes) + PAGE
    )
    assert len(data) == off + d.size
    assert data[NOTES_OFFSET + len(want_notes) : off] == bytes(off - NOTES_OFFSET - len(want_notes))
    assert data[off:] == expected_memory(d)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_layout_notes_and_pages(core_check: Path, tmp_path: Path) -> None:
    d = Dump(
        size=16 * PAGE,
        notes=[
            (NT_PRSTATUS, bytes(range(1, 37))),
            (NT_PRFPREG, b"\xaa\xbb\xcc\xdd\xee"),  # padded to 8
            (NT_X86_XSTATE, b""),
        ],
        puts=[
            (BASE, PAGE, 0x11),
            (BASE + 2 * PAGE, 2 * PAGE, 0x5A),
            (BASE + 15 * PAGE, PAGE, 0xA5),
        ],
    )
    r = run(core_check, *d.args(tmp_path))
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines() == [start_line(tmp_path), done_line(4, 16)]
    assert r.stderr == ""
    check_core(tmp_path / NAME, d)
    # pyelftools names the core note types it knows: gdb reads them alike.
    assert [t for _, t, _ in read_notes(tmp_path / NAME)] == [
        "NT_PRSTATUS",
        "NT_FPREGSET",
        NT_X86_XSTATE,
    ]
    assert os.listdir(tmp_path) == [NAME]


@pytest.mark.parametrize(
    ("desc_size", "mem_offset"),
    [
        (0, PAGE),
        (PAGE - NOTES_OFFSET - NOTE_HEADER, PAGE),  # the notes end on the page
        (PAGE - NOTES_OFFSET - NOTE_HEADER + 1, 2 * PAGE),
        (3 * PAGE, 4 * PAGE),
    ],
)
def test_memory_starts_on_the_page_after_the_notes(
    core_check: Path, tmp_path: Path, desc_size: int, mem_offset: int
) -> None:
    d = Dump(size=2 * PAGE, notes=[(NT_PRSTATUS, b"\x7f" * desc_size)], puts=[(BASE, PAGE, 1)])
    path = dump_ok(core_check, tmp_path, d)
    with path.open("rb") as f:
        load = ELFFile(f).get_segment(1)
        assert load["p_offset"] == mem_offset
    check_core(path, d)


def test_large_range_with_one_page_is_sparse(core_check: Path, tmp_path: Path) -> None:
    size = 1 << 30
    d = Dump(size=size, base=0, puts=[(size // 2, PAGE, 0x42)])
    r = run(core_check, *d.args(tmp_path))
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[-1] == done_line(1, size // PAGE)
    st_ = (tmp_path / NAME).stat()
    assert st_.st_size == PAGE + size
    assert st_.st_blocks * 512 < 1 << 20, "the core file is not sparse"
    with (tmp_path / NAME).open("rb") as f:
        f.seek(PAGE + size // 2)
        assert f.read(PAGE) == page_bytes(size // 2, 0x42)
        f.seek(PAGE + size // 2 - PAGE)
        assert f.read(PAGE) == bytes(PAGE)


def test_put_resident_writes_only_touched_pages(core_check: Path, tmp_path: Path) -> None:
    d = Dump(size=64 * PAGE, notes=[(NT_PRSTATUS, b"regs")], resident=(0x33, [0, 5, 6, 63]))
    r = run(core_check, *d.args(tmp_path))
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines() == [start_line(tmp_path), done_line(4, 64)]
    check_core(tmp_path / NAME, d)


def test_put_resident_beyond_one_mincore_chunk(core_check: Path, tmp_path: Path) -> None:
    """tender_core.c asks mincore() about 4096 pages at a time."""
    pages = [0, 4095, 4096, 4097, 9000]
    d = Dump(size=10000 * PAGE, base=0, resident=(0x77, pages))
    r = run(core_check, *d.args(tmp_path))
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[-1] == done_line(len(pages), 10000)
    check_core(tmp_path / NAME, d)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    puts=st.dictionaries(
        st.integers(min_value=0, max_value=31), st.integers(min_value=0, max_value=255), max_size=8
    )
)
def test_any_pages_land_at_their_offsets(
    core_check: Path, tmp_path_factory: pytest.TempPathFactory, puts: dict[int, int]
) -> None:
    directory = tmp_path_factory.mktemp("core")
    d = Dump(
        size=32 * PAGE,
        notes=[(NT_PRSTATUS, b"\x01" * 7)],
        puts=[(BASE + idx * PAGE, PAGE, byte) for idx, byte in puts.items()],
    )
    r = run(core_check, *d.args(directory))
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[-1] == done_line(len(puts), 32)
    check_core(directory / NAME, d)
    shutil.rmtree(directory)


# --- Errors: one line from the writer, and nothing left behind. ---


def test_dir_missing(core_check: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    r = run(core_check, *Dump(size=PAGE).args(missing))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        f"dumpcore: cannot open dir: {missing}: No such file or directory"
    ]
    assert not missing.exists()


def test_dir_is_a_file(core_check: Path, tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_bytes(b"data")
    r = run(core_check, *Dump(size=PAGE).args(file))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"dumpcore: cannot open dir: {file}: Not a directory"]
    assert file.read_bytes() == b"data"


def read_only_bind(directory: Path) -> tuple[str, ...]:
    """A command prefix running the harness with directory bind-mounted
    read-only in a mount namespace of its own (root ignores file modes)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs unshare(1) to mount a read-only directory")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    prefix = (unshare, "-m", "sh", "-c", script, str(directory))
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot bind-mount read-only here: {probe.stderr.strip()}")
    return prefix


def test_dir_read_only(core_check: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        prefix = read_only_bind(tmp_path)
    else:
        tmp_path.chmod(0o500)
        prefix = ()
    try:
        r = run(core_check, *Dump(size=PAGE).args(tmp_path), prefix=prefix)
    finally:
        tmp_path.chmod(0o700)
    assert r.returncode == 1
    reason = "Read-only file system" if prefix else "Permission denied"
    assert r.stdout.splitlines() == [f"dumpcore: dir not writable: {tmp_path}/{NAME}: {reason}"]
    assert os.listdir(tmp_path) == []


def test_core_file_already_exists(core_check: Path, tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(b"old core")
    r = run(core_check, *Dump(size=PAGE).args(tmp_path))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"dumpcore: dir not writable: {tmp_path}/{NAME}: File exists"]
    assert (tmp_path / NAME).read_bytes() == b"old core"
    assert os.listdir(tmp_path) == [NAME]


def test_core_file_appearing_after_the_check_is_not_overwritten(
    core_check: Path, tmp_path: Path
) -> None:
    r = run(core_check, *Dump(size=PAGE, exists=True).args(tmp_path))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        start_line(tmp_path),
        f"dumpcore: {tmp_path}/{NAME}: File exists",
    ]
    assert (tmp_path / NAME).read_bytes() == b"old"
    assert os.listdir(tmp_path) == [NAME]  # the finished core was not renamed over it


@pytest.mark.parametrize(
    ("base", "size"), [(BASE + 1, PAGE), (BASE, PAGE - 1), (BASE, PAGE + 8)], ids=str
)
def test_begin_refuses_a_range_of_partial_pages(
    core_check: Path, tmp_path: Path, base: int, size: int
) -> None:
    r = run(core_check, *Dump(size=size, base=base).args(tmp_path))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        start_line(tmp_path),
        f"dumpcore: {tmp_path}/{NAME}: Invalid argument",
    ]
    # The set-up check removed its probe, and the core (NAME.partial until
    # whole) is removed once begin refused: no file is left.
    assert os.listdir(tmp_path) == []


SIZE = 4 * PAGE


@pytest.mark.parametrize(
    ("addr", "length"),
    [
        (BASE - PAGE, PAGE),  # below the range
        (BASE + SIZE, PAGE),  # just past it
        (BASE + SIZE - PAGE, 2 * PAGE),  # straddling its end
        (BASE + (1 << 40), PAGE),  # far past it
        (BASE, PAGE - 1),  # not whole pages
        (BASE, PAGE + 1),
        (BASE + 8, PAGE),  # not on a page
    ],
    ids=lambda v: hex(v),
)
def test_put_outside_the_range_or_off_pages(
    core_check: Path, tmp_path: Path, addr: int, length: int
) -> None:
    d = Dump(size=SIZE, puts=[(addr, length, 0xEE)])
    r = run(core_check, *d.args(tmp_path))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        start_line(tmp_path),
        f"dumpcore: {tmp_path}/{NAME}: Invalid argument",
    ]
    # Refused before anything was written, and the unfinished core removed.
    assert os.listdir(tmp_path) == []


def test_put_on_the_first_and_last_pages(core_check: Path, tmp_path: Path) -> None:
    d = Dump(size=SIZE, puts=[(BASE, PAGE, 1), (BASE + SIZE - PAGE, PAGE, 2)])
    check_core(dump_ok(core_check, tmp_path, d), d)


# --- --dumpcore=DIR and the file name. ---


@pytest.mark.parametrize(
    ("arg", "rc", "out"),
    [
        ("--dumpcore=/var/tmp", 0, "handled [/var/tmp]"),
        ("--dumpcore=rel dir", 0, "handled [rel dir]"),
        ("--dumpcore=", 1, "--dumpcore: a directory is required (--dumpcore=DIR)"),
        ("--dumpcore", 0, "unknown"),
        ("--dumpcorex=/tmp", 0, "unknown"),
        ("--mem=2", 0, "unknown"),
    ],
)
def test_cmdarg(core_check: Path, arg: str, rc: int, out: str) -> None:
    r = run(core_check, "cmdarg", arg)
    assert (r.returncode, r.stdout) == (rc, out + "\n")


def test_name(core_check: Path) -> None:
    assert run(core_check, "name", "solo5-hvt", "31337").stdout == "core.solo5-hvt.31337\n"
