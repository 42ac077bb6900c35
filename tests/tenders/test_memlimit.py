"""The memory cgroup check's file reading, tenders/common/tender_memlimit.c.

The check reads /proc/self/mountinfo, /proc/self/cgroup and the cgroup files
with read(2) and scans them by hand, not with fgets and sscanf (their cost at
every start). Each case runs build/tests/unit/tender_memlimit_check (tests/
tenders/tender_memlimit_check.c), which runs the check's functions and the
fgets and sscanf calls they replace on the same file and prints "same" if
they found the same. What the check makes of what it found is tested end to
end in tests/faults/test_memory_limit.py.
"""

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import unit_program

LINE = 4096  # tender_memlimit.c's line buffer: fgets pieces of LINE - 1


@pytest.fixture(scope="session")
def check() -> Path:
    return unit_program("tender_memlimit_check")


def same(check: Path, *args: str | Path) -> None:
    r = subprocess.run(
        [str(check), *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )
    assert (r.returncode, r.stdout) == (0, "same\n"), (r.returncode, r.stdout[:2000], r.stderr)


def write(tmp_path: Path, data: str) -> Path:
    path = tmp_path / "file"
    path.write_bytes(data.encode("latin-1"))
    return path


# A cgroup2 mount's line that starts LINE - 1 bytes into a longer line: the
# second fgets piece of the long line reads as a mount of its own.
PIECE = "x" * (LINE - 1) + "1 2 0:9 / /m rw - cgroup2 c rw\n"
MOUNT_LINES = [
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n",
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
    "1 2 3 /r\t/m\vo - \ftype\r src opts",  # other white space, no newline at the end
    "1 2 3 /r /m - cgroup2",  # too few fields after the separator
    "1 2 3 /r - cgroup2 c rw\n",  # the fields before it borrowed from after it
    "1 2 3 " + "r" * 5000 + " /m - cgroup c memory\n",  # a root longer than a piece
    "1 2 3 /r /m - " + "t" * 70 + " c memory\n",  # a type longer than 63
    PIECE,
    "\n\n - \n",
]


@pytest.mark.parametrize("data", MOUNT_LINES, ids=range(len(MOUNT_LINES)))
def test_mount_fields_as_sscanf(check: Path, tmp_path: Path, data: str) -> None:
    same(check, "mounts", write(tmp_path, data))


def test_this_hosts_mountinfo(check: Path) -> None:
    same(check, "mounts", "/proc/self/mountinfo")
    for chunk in ("1", "1024", "65536"):
        same(check, "lines", "/proc/self/mountinfo", str(LINE), chunk)
        same(check, "lines", "/proc/self/cgroup", str(LINE), chunk)


@pytest.mark.parametrize("size", [2, 256, LINE])
@pytest.mark.parametrize("chunk", [1, 255, 1024, 8192])
def test_long_lines_in_pieces_as_fgets(check: Path, tmp_path: Path, size: int, chunk: int) -> None:
    data = "".join(MOUNT_LINES) + "y" * (3 * LINE) + "\n" + "z" * (LINE - 2) + "\n" + "end"
    same(check, "lines", write(tmp_path, data), str(size), str(chunk))


U64_VALUES = ["123", "0", " \t42x", "-5", "+7", "+", "max", "", "0x10", "99999999999999999999"]


@pytest.mark.parametrize("value", U64_VALUES)
def test_read_u64_as_sscanf(check: Path, tmp_path: Path, value: str) -> None:
    key = "hierarchical_memory_limit "
    data = f"cache 1\n{key}{value}\nhierarchical_memory_limit 77\n"
    same(check, "u64", write(tmp_path, data), key)
    same(check, "u64", write(tmp_path, f"{value}\n"), "")


# Text made of what these files are made of, with runs long enough to cross
# the line buffers and the reads.
_PIECES = st.one_of(
    st.sampled_from([" ", "\t", "\n", "\v", "\f", "\r", " - ", "-", "cgroup", "cgroup2"]),
    st.sampled_from(["memory", "rw,memory", "/", "0:32", "\\040", "hierarchical_memory_limit "]),
    st.text(alphabet="ab/,:=0123456789+-", max_size=24),
    st.builds(lambda c, n: c * n, st.sampled_from("a1 \n"), st.integers(0, 9000)),
)
_TEXT = st.lists(_PIECES, max_size=60).map("".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_TEXT, st.sampled_from([2, 3, 256, LINE]), st.sampled_from([1, 2, 100, 1024, 8192]))
def test_any_text_read_and_scanned_as_stdio(
    check: Path, tmp_path: Path, data: str, size: int, chunk: int
) -> None:
    path = write(tmp_path, data)
    same(check, "lines", path, str(size), str(chunk))
    same(check, "mounts", path)
    same(check, "u64", path, "hierarchical_memory_limit ")
    same(check, "u64", path, "")
