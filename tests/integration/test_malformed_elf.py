"""Every malformed unikernel from tests/support/elfgen.py through the real tools.

solo5-spt must refuse each one with status 1 and one clear line naming the
file; solo5-elftool query-abi / query-manifest must do the same when the
part they read is bad, and must never crash (no traceback) on any of them.
"""

import subprocess
from pathlib import Path

import pytest
from support import elfgen

CASES = sorted(elfgen.CASES)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture
def kernel(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    name: str = request.param
    path = tmp_path / f"{name}.spt"
    path.write_bytes(elfgen.CASES[name].data)
    return path


def assert_one_line_naming(r: subprocess.CompletedProcess[str], tool: str, path: Path) -> None:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{tool}: "), lines[0]
    assert str(path) in lines[0], lines[0]


@pytest.mark.parametrize("kernel", CASES, indirect=True)
def test_spt_refuses(stage_bin: Path, kernel: Path) -> None:
    r = run(stage_bin / "solo5-spt", "--mem=4", kernel)
    assert_one_line_naming(r, "solo5-spt", kernel)
    assert elfgen.CASES[kernel.stem].message in r.stderr


@pytest.mark.parametrize("command", ["query-abi", "query-manifest"])
@pytest.mark.parametrize("kernel", CASES, indirect=True)
def test_elftool(stage_bin: Path, kernel: Path, command: str) -> None:
    case = elfgen.CASES[kernel.stem]
    r = run(stage_bin / "solo5-elftool", command, kernel)
    must_fail = case.query_abi if command == "query-abi" else case.query_manifest
    if must_fail:
        assert_one_line_naming(r, "solo5-elftool", kernel)
    else:
        # The part elftool reads is fine: it may answer, but never crash.
        assert r.returncode in (0, 1), r.stderr
        assert "Traceback" not in r.stderr


def test_valid_unikernel_is_accepted_by_both(stage_bin: Path, tmp_path: Path) -> None:
    """The generator's valid file really is valid, so the refusals above mean something."""
    path = tmp_path / "ok.spt"
    path.write_bytes(elfgen.guest(devices=[("storage", "BLOCK_BASIC")]))
    r = run(stage_bin / "solo5-elftool", "query-abi", path)
    assert r.returncode == 0 and '"target": "spt"' in r.stdout
    r = run(stage_bin / "solo5-elftool", "query-manifest", path)
    assert r.returncode == 0 and '{ "name": "storage", "type": "BLOCK_BASIC" }' in r.stdout
    image = tmp_path / "storage.img"
    image.write_bytes(b"\0" * 4096)
    assert run(stage_bin / "solo5-spt", "--mem=4", f"--block:storage={image}", path).returncode == 7


def test_section_headers_are_ignored_by_both(stage_bin: Path, tmp_path: Path) -> None:
    """A PT_DYNAMIC and a garbage e_shoff: solo5-spt runs the file (it reads
    program headers and notes only), and solo5-elftool answers for it alike
    (it refused such files while it read them with pyelftools)."""
    segments = elfgen.guest_segments(elfgen.CODE["exit7"], mft=elfgen.mft_note(
        [("storage", "BLOCK_BASIC")]))
    dynamic = elfgen.Segment(2, elfgen.PF_R, 0, b"\xff" * 16, align=8)  # PT_DYNAMIC
    data = bytearray(elfgen.Elf([*segments, dynamic]).build())
    data[0x28:0x30] = (0x7FFF_FFFF_FFFF).to_bytes(8, "little")  # e_shoff
    path = tmp_path / "no_sections.spt"
    path.write_bytes(data)
    r = run(stage_bin / "solo5-elftool", "query-manifest", path)
    assert (r.returncode, r.stderr) == (0, "")
    assert '{ "name": "storage", "type": "BLOCK_BASIC" }' in r.stdout
    r = run(stage_bin / "solo5-elftool", "query-abi", path)
    assert (r.returncode, r.stderr) == (0, "") and '"target": "spt"' in r.stdout
    image = tmp_path / "storage.img"
    image.write_bytes(b"\0" * 4096)
    assert run(stage_bin / "solo5-spt", "--mem=4", f"--block:storage={image}", path).returncode == 7
