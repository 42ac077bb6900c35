"""Whole-toolchain round trip, per target with bindings: gen-manifest -> cc -c ->
link with the wrappers -> query-manifest/query-abi, and the linked layout (ref §4.3)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from toolchain_helpers import TRIPLE, run

from solo5_toolchain import abi, generate, targets

MAIN = r"""
#include "solo5.h"

__thread int tls_data = 42;
__thread char tls_bss[3];
int data_var = 7;
char bss_var[5000];

int solo5_app_main(const struct solo5_start_info *si)
{
    bss_var[1] = si->cmdline[0];
    return tls_data + tls_bss[1] + data_var + bss_var[1];
}
"""

MANIFEST = {
    "type": "solo5.manifest",
    "version": 1,
    "devices": [{"name": "service0", "type": "NET_BASIC"}, {"name": "disk", "type": "BLOCK_BASIC"}],
}

QUERY_MANIFEST = """{
  "type": "solo5.manifest",
  "version": 1,
  "devices": [
    { "name": "service0", "type": "NET_BASIC" },
    { "name": "disk", "type": "BLOCK_BASIC" }
  ]
}
"""

SYMBOLS = ("_stext", "_etext", "_erodata", "_stdata", "_edata", "_ltdata", "_ltbss",
           "_ebss", "_end", "_start")


def bindings(stage: Path, name: str) -> Path:
    obj = stage / "lib" / TRIPLE / f"solo5_{name}.o"
    if not obj.exists():
        pytest.skip(f"no {name} bindings built yet ({obj} is missing)")
    return obj


@pytest.fixture(scope="module")
def objects(stage_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main.o and manifest.o, compiled once with the cc wrapper."""
    tmp = tmp_path_factory.mktemp("link")
    (tmp / "main.c").write_text(MAIN)
    (tmp / "manifest.json").write_text(json.dumps(MANIFEST, indent=2))
    cc = stage_bin / f"{TRIPLE}-cc"
    for argv in (
        [stage_bin / "solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"],
        [cc, "-std=c11", "-Wall", "-Werror", "-O2", "-c", "main.c", "-o", "main.o"],
        [cc, "-c", "manifest.c", "-o", "manifest.o"],
    ):
        result = run(argv, cwd=tmp)
        assert result.returncode == 0, result.stderr
    return tmp


def link(stage_bin: Path, objects: Path, name: str, tool: str, abi_args: list[str]) -> Path:
    out = objects / f"uk-{tool}.{name}"
    result = run([stage_bin / f"{TRIPLE}-{tool}", *abi_args, "main.o", "manifest.o", "-o",
                  out.name], cwd=objects)
    assert (result.returncode, result.stderr) == (0, "")
    return out


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_round_trip(stage: Path, stage_bin: Path, objects: Path, name: str) -> None:
    bindings(stage, name)
    target = targets.TARGETS[name]
    linked = [
        link(stage_bin, objects, name, "cc", ["-z", f"solo5-abi={name}"]),
        link(stage_bin, objects, name, "ld", ["-z", f"solo5-abi={name}"]),
    ]
    if name == targets.DEFAULT_LINK_TARGET:
        linked.append(link(stage_bin, objects, name, "cc", []))
    for uk in linked:
        elftool = stage_bin / "solo5-elftool"
        result = run([elftool, "query-manifest", uk])
        assert (result.returncode, result.stdout, result.stderr) == (0, QUERY_MANIFEST, "")
        result = run([elftool, "query-abi", uk])
        if target.has_abi_note:
            assert (result.returncode, result.stderr) == (0, "")
            assert json.loads(result.stdout) == {
                "type": "solo5.abi", "target": name, "version": target.abi_version}
        else:
            assert (result.returncode, result.stdout) == (1, "")
            assert result.stderr == (
                f"solo5-elftool: {uk}: No Solo5 ABI information found in executable\n")


def expected_phdrs(target: targets.Target) -> list[tuple[str, int | None]]:
    phdrs: list[tuple[str, int | None]] = [("PT_INTERP", None),
                                           ("PT_LOAD", target.text_flags)]
    if target.separate_rodata:
        phdrs.append(("PT_LOAD", targets.PF_R))
    phdrs.append(("PT_LOAD", targets.PF_R | targets.PF_W))
    if target.separate_tdata:
        phdrs.append(("PT_LOAD", targets.PF_R))
    phdrs += [("PT_TLS", None), ("PT_LOAD", targets.PF_R | targets.PF_W)]
    if target.is_shared:
        phdrs.append(("PT_DYNAMIC", targets.PF_R | targets.PF_W))
    phdrs += [("PT_NOTE", None)] * len(generate.note_slots(target))
    return phdrs


FAKE_BINDINGS = r"""
/* Just enough of a bindings object to link: checks the linker scripts of every
 * target, including targets whose real bindings are not built. */
#include "elf_abi.h"

extern int solo5_app_main(const void *);
void _start(void);
void _start(void)
{
    solo5_app_main(0);
    for (;;)
        ;
}
@ABI_NOTE@
"""


@pytest.fixture(scope="module")
def fake_bindings(stage: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fake")
    for name, target in targets.TARGETS.items():
        note = ""
        if target.has_abi_note:
            note = (f"ABI1_NOTE_DECLARE_BEGIN {{ .abi_target = {target.abi_target}, "
                    f".abi_version = {target.abi_version} }} ABI1_NOTE_DECLARE_END")
        # The symbols the target's linker-written notes point at (xen's
        # _start32).
        for linker_note in target.linker_notes:
            note += f"\nvoid {linker_note.value}(void);\nvoid {linker_note.value}(void) {{}}"
        (tmp / f"{name}.c").write_text(FAKE_BINDINGS.replace("@ABI_NOTE@", note))
        result = run(["cc", "-c", "-ffreestanding", "-fno-pie", "-O2", "-I",
                      stage / "include" / "solo5", f"{name}.c", "-o", f"{name}.o"], cwd=tmp)
        assert result.returncode == 0, result.stderr
    return tmp


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_linker_script_layout(stage: Path, objects: Path, fake_bindings: Path,
                              name: str) -> None:
    out = fake_bindings / f"uk.{name}"
    result = run(["ld", "-nostdlib", "-static", "-z", "max-page-size=0x1000", "-T",
                  stage / "lib" / TRIPLE / f"solo5_{name}.lds", fake_bindings / f"{name}.o",
                  objects / "main.o", objects / "manifest.o", "-o", out])
    assert (result.returncode, result.stderr) == (0, "")
    check_layout(out, targets.TARGETS[name])


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_layout_with_bindings(stage: Path, stage_bin: Path, objects: Path, name: str) -> None:
    bindings(stage, name)
    check_layout(link(stage_bin, objects, name, "cc", ["-z", f"solo5-abi={name}"]),
                 targets.TARGETS[name])


def check_layout(uk: Path, target: targets.Target) -> None:
    with uk.open("rb") as stream:
        elf = ELFFile(stream)
        segments = list(elf.iter_segments())
        got = [(s["p_type"], s["p_flags"]) for s in segments]
        want = expected_phdrs(target)
        assert [g[0] for g in got] == [w[0] for w in want]
        for (_, flags), (_, want_flags) in zip(got, want, strict=True):
            if want_flags is not None:
                assert flags == want_flags

        assert segments[0].get_interp_name() == abi.INTERP
        text = segments[1]
        assert text["p_vaddr"] == abi.GUEST_MIN_BASE
        assert text["p_offset"] % abi.PAGE_SIZE == 0  # no ELF headers in the image
        assert abi.GUEST_MIN_BASE <= elf.header["e_entry"] < text["p_vaddr"] + text["p_memsz"]

        loads = [s for s in segments if s["p_type"] == "PT_LOAD" and s["p_filesz"] > 0]
        assert [s["p_vaddr"] for s in loads] == sorted(s["p_vaddr"] for s in loads)
        for seg in loads:
            assert seg["p_vaddr"] % abi.PAGE_SIZE == 0
            assert seg["p_flags"] & (targets.PF_W | targets.PF_X) != (targets.PF_W | targets.PF_X)

        notes = [s for s in segments if s["p_type"] == "PT_NOTE"]
        sections = [[sec.name for sec in elf.iter_sections() if seg.section_in_segment(sec)]
                    for seg in notes]
        assert sections == [[slot.section] for slot in generate.note_slots(target)]
        openbsd = notes[0].data()
        assert openbsd == struct.pack("<III", 8, 4, 1) + b"OpenBSD\0" + bytes(4)
        assert not [s.name for s in elf.iter_sections() if s.name.startswith(".note.gnu")]

        symtab = elf.get_section_by_name(".symtab")
        values = {s: symtab.get_symbol_by_name(s)[0]["st_value"] for s in SYMBOLS}
        tls = next(s for s in segments if s["p_type"] == "PT_TLS")
        tls_size = -(-tls["p_memsz"] // tls["p_align"]) * tls["p_align"]
        assert values["_ltdata"] + values["_ltbss"] == tls_size
        assert values["_stdata"] == tls["p_vaddr"]
        assert values["_edata"] == values["_stdata"] + values["_ltdata"]
        assert values["_stext"] == abi.GUEST_MIN_BASE
        assert values["_end"] == values["_ebss"]
        assert values["_end"] % abi.PAGE_SIZE == 0
        bss = [s for s in segments if s["p_type"] == "PT_LOAD"][-1]
        bss_end = bss["p_vaddr"] + bss["p_memsz"]
        assert values["_end"] == bss_end + -bss_end % abi.PAGE_SIZE


BIG_RODATA = "const char big_rodata[1 << 20] = { 1 };\n"


@pytest.fixture(scope="module")
def big_rodata(objects: Path) -> Path:
    (objects / "big.c").write_text(BIG_RODATA)
    result = run(["cc", "-c", "-O2", "-fno-pie", "big.c", "-o", "big.o"], cwd=objects)
    assert result.returncode == 0, result.stderr
    return objects / "big.o"


def loads_by_flags(uk: Path) -> dict[int, int]:
    """The first address of each PT_LOAD that has bytes, by its flags."""
    with uk.open("rb") as stream:
        segments = list(ELFFile(stream).iter_segments())
    firsts: dict[int, int] = {}
    for s in segments:
        if s["p_type"] == "PT_LOAD" and s["p_memsz"] > 0:
            firsts.setdefault(s["p_flags"], s["p_vaddr"])
    return firsts


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_huge_page_layout(stage: Path, objects: Path, fake_bindings: Path, big_rodata: Path,
                          name: str) -> None:
    """hvt (target.huge_page): a read-only data segment of 1 MiB or more,
    and whatever follows it past the first 2 MiB, start on a 2 MiB page of
    their own, so that no 2 MiB page holds two segments' permissions; a
    small unikernel keeps its 4 KiB layout.  Other targets: 4 KiB pages."""
    target = targets.TARGETS[name]
    lds = stage / "lib" / TRIPLE / f"solo5_{name}.lds"
    layouts = {}
    for size, extra in (("small", []), ("big", [big_rodata])):
        out = fake_bindings / f"uk-{size}.{name}"
        result = run(["ld", "-nostdlib", "-static", "-z", "max-page-size=0x1000", "-T", lds,
                      fake_bindings / f"{name}.o", objects / "main.o", objects / "manifest.o",
                      *extra, "-o", out])
        assert (result.returncode, result.stderr) == (0, "")
        check_layout(out, target)
        layouts[size] = loads_by_flags(out)
    rw = targets.PF_R | targets.PF_W
    if not target.separate_rodata:
        return
    small, big = layouts["small"], layouts["big"]
    assert small[targets.PF_R] < 2 << 20 and small[rw] < 2 << 20
    if target.huge_page:
        assert big[targets.PF_R] % target.huge_page == 0
        assert big[rw] % target.huge_page == 0
        assert big[rw] - big[targets.PF_R] >= 1 << 20
    else:
        assert big[targets.PF_R] < 2 << 20
