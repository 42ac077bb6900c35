"""muen and genode: no host here, so what is checked is the build and link
contract (ABI note, segments, exported and dynamic symbols)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from support import paths
from support.paths import BUILD

from solo5_toolchain import targets

TOP = Path(__file__).resolve().parents[2]
LIB = BUILD / "stage" / "lib" / targets.TRIPLE
GUESTS = paths.GUESTS
API = {"solo5_abort", "solo5_block_acquire", "solo5_block_read", "solo5_block_write",
       "solo5_clock_monotonic", "solo5_clock_wall", "solo5_console_write", "solo5_exit",
       "solo5_net_acquire", "solo5_net_read", "solo5_net_write", "solo5_set_tls_base",
       "solo5_tls_init", "solo5_tls_size", "solo5_tls_tp_offset", "solo5_yield"}


def built(path: Path) -> Path:
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
    return path


def query_abi(uk: Path) -> str:
    return subprocess.run([str(TOP / "build/stage/bin/solo5-elftool"), "query-abi", str(uk)],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("name", ["muen", "genode"])
def test_abi_note(name: str) -> None:
    t = targets.TARGETS[name]
    out = query_abi(built(GUESTS / "test_hello" / f"test_hello.{name}"))
    assert f'"target": "{name}",' in out and f'"version": {t.abi_version}' in out


def test_muen_unikernel_layout() -> None:
    with built(GUESTS / "test_net" / "test_net.muen").open("rb") as f:
        elf = ELFFile(f)
        assert elf.header["e_type"] == "ET_EXEC"
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD" and s["p_filesz"]]
        assert loads[0]["p_vaddr"] == 0x100000
        assert all(not (s["p_flags"] & targets.PF_W and s["p_flags"] & targets.PF_X)
                   for s in loads)
        assert elf.get_section_by_name(".dynamic") is None


def test_muen_bindings_export_only_the_api() -> None:
    nm = subprocess.run(["nm", "-P", str(built(LIB / "solo5_muen.o"))], capture_output=True,
                        text=True, check=True).stdout
    defined = {line.split()[0] for line in nm.splitlines() if line.split()[1] in "TDB"}
    assert defined == API | {"_start", "__stack_chk_fail", "__stack_chk_guard"}


def test_genode_unikernel_is_dynamic() -> None:
    with built(GUESTS / "test_blk" / "test_blk.genode").open("rb") as f:
        elf = ELFFile(f)
        assert elf.header["e_type"] == "ET_EXEC"
        assert any(s["p_type"] == "PT_DYNAMIC" for s in elf.iter_segments())
        dynamic = elf.get_section_by_name(".dynamic")
        assert isinstance(dynamic, DynamicSection)
        needed = [t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
        assert needed == ["solo5.lib.so"]
        dynsym = elf.get_section_by_name(".dynsym")
        symbols = {s.name: s for s in dynsym.iter_symbols() if s.name}
    imported = {n for n, s in symbols.items() if s["st_shndx"] == "SHN_UNDEF"}
    assert {"solo5_block_acquire", "solo5_block_read", "solo5_block_write"} <= imported
    assert imported <= API | {"__stack_chk_fail"}
    assert symbols["solo5_app_main"]["st_shndx"] != "SHN_UNDEF"  # exported to the library


def test_genode_library_exports_the_api() -> None:
    with built(LIB / "solo5_genode.so").open("rb") as f:
        elf = ELFFile(f)
        assert elf.header["e_type"] == "ET_DYN"
        dynsym = elf.get_section_by_name(".dynsym")
        defined = {s.name for s in dynsym.iter_symbols()
                   if s.name and s["st_shndx"] != "SHN_UNDEF"}
        dynamic = elf.get_section_by_name(".dynamic")
        soname = [t.soname for t in dynamic.iter_tags() if t.entry.d_tag == "DT_SONAME"]
    assert defined == API | {"__stack_chk_fail", "__stack_chk_guard"}
    assert soname == ["solo5.lib.so"]
