"""The link contract of every built bindings object lib/<triple>/solo5_<t>.o,
on every architecture built (x86_64, and aarch64 with its cross compiler).

What an application links against (ref §1.5): exactly the 15 API functions,
_start and the two stack-protector symbols are global; everything the
bindings use internally (memcpy, printf, ...) is local, so it never clashes
with the application's libc; the only undefined symbols are solo5_app_main
and the linker-script symbols, and the stub has none at all (a plain
`int main` program links against it).  The ABI1 note is present with the
target's id and version, except on stub.
"""

import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection
from support.paths import BUILD

from solo5_toolchain import abi, targets

API_FUNCTIONS = {
    "solo5_abort",
    "solo5_block_acquire",
    "solo5_block_read",
    "solo5_block_write",
    "solo5_clock_monotonic",
    "solo5_clock_wall",
    "solo5_console_write",
    "solo5_exit",
    "solo5_net_acquire",
    "solo5_net_read",
    "solo5_net_write",
    "solo5_set_tls_base",
    "solo5_tls_init",
    "solo5_tls_size",
    "solo5_tls_tp_offset",
    "solo5_yield",
}
EXPORTED_FUNCTIONS = API_FUNCTIONS | {"_start", "__stack_chk_fail"}
EXPORTED_DATA = {"__stack_chk_guard"}
LINKER_SCRIPT_SYMBOLS = {"_stext", "_etext", "_erodata", "_end", "_stdata", "_ltdata", "_ltbss"}
ALLOWED_UNDEFINED = {"solo5_app_main", "_GLOBAL_OFFSET_TABLE_"} | LINKER_SCRIPT_SYMBOLS
SSP_LINK_TIME_GUARD = 0x00DEADBEEF0D0A00

TOP = Path(__file__).resolve().parents[2]
# A shared-library target's solo5_<t>.o holds only notes and glue; its API
# is checked in tests/targets/test_genode.py.
BUILT_TARGETS = [t for t in targets.TARGETS.values()
                 if (TOP / "bindings" / t.name).is_dir() and not t.is_shared]
# (architecture, target): the default architecture always, the others when
# the build produced their lib/<triple>/.
BUILT = [
    (a, t)
    for a, arch in targets.ARCHES.items()
    if a == targets.DEFAULT_ARCH or (BUILD / "stage" / "lib" / arch.triple).is_dir()
    for t in BUILT_TARGETS
    if a in t.arches
]


@pytest.fixture(params=BUILT, ids=lambda at: f"{at[0]}-{at[1].name}")
def arch_target(request: pytest.FixtureRequest) -> tuple[str, targets.Target]:
    at: tuple[str, targets.Target] = request.param
    return at


@pytest.fixture
def target(arch_target: tuple[str, targets.Target]) -> targets.Target:
    return arch_target[1]


@pytest.fixture
def bindings_object(top: Path, arch_target: tuple[str, targets.Target]) -> Path:
    arch, target = arch_target
    triple = targets.ARCHES[arch].triple
    path: Path = BUILD / "stage" / "lib" / triple / f"solo5_{target.name}.o"
    if not path.is_file():
        pytest.fail(f"{path} is not built: run `scons -j2`")
    return path


def nm(path: Path) -> list[tuple[str, str]]:
    """(name, type letter) of every symbol nm lists."""
    out = subprocess.run(["nm", "-P", str(path)], check=True, capture_output=True, text=True).stdout
    return [(line.split()[0], line.split()[1]) for line in out.splitlines() if line.strip()]


def test_exports_exactly_the_api(bindings_object: Path, target: targets.Target) -> None:
    # A platform's private exports (xen's, checked in tests/targets/test_xen.py).
    symbols = [(n, k) for n, k in nm(bindings_object) if n not in target.private_exports]
    functions = {name for name, kind in symbols if kind == "T"}
    data = {name for name, kind in symbols if kind in "DB"}
    other_globals = {name for name, kind in symbols if kind.isupper() and kind not in "TDBU"}
    assert functions == EXPORTED_FUNCTIONS
    assert data == EXPORTED_DATA
    assert other_globals == set()


def test_internal_helpers_are_local(bindings_object: Path) -> None:
    symbols = dict(nm(bindings_object))
    for name in ("memcpy", "memset", "bindings_vsnprintf", "platform_exit"):
        if name in symbols:
            assert symbols[name].islower(), f"{name} is global ({symbols[name]})"


def test_undefined_symbols(bindings_object: Path, target: targets.Target) -> None:
    undefined = {name for name, kind in nm(bindings_object) if kind == "U"}
    if target.name == targets.DEFAULT_LINK_TARGET:
        # The default link serves build-system probes: it needs nothing.
        assert undefined == set()
        return
    assert undefined <= ALLOWED_UNDEFINED, undefined - ALLOWED_UNDEFINED
    # Every real target refuses to link an app without a main.
    assert "solo5_app_main" in undefined


def test_abi_note(bindings_object: Path, target: targets.Target) -> None:
    with bindings_object.open("rb") as f:
        elf = ELFFile(f)
        section = elf.get_section_by_name(abi.ABI1_SECTION)
        if not target.has_abi_note:
            assert section is None
            return
        assert section is not None, f"no {abi.ABI1_SECTION} in {bindings_object}"
        data = section.data()
    namesz, descsz, ntype = struct.unpack_from("<III", data, 0)
    assert (namesz, descsz, ntype) == (
        len(abi.NOTE_OWNER) + 1,
        abi.ABI1_DESC_SIZE,
        abi.ABI1_NOTE_TYPE,
    )
    name = data[abi.NOTE_HEADER_SIZE : abi.NOTE_HEADER_SIZE + namesz]
    assert name == abi.NOTE_OWNER.encode() + b"\0"
    desc = struct.unpack_from("<IIII", data, abi.NOTE_HEADER_SIZE + abi.NOTE_NAME_PADDED)
    assert desc == (target.abi_target, target.abi_version, 0, 0)


def test_openbsd_note_with_abi_note(bindings_object: Path, target: targets.Target) -> None:
    with bindings_object.open("rb") as f:
        present = ELFFile(f).get_section_by_name(abi.OPENBSD_SECTION) is not None
    assert present == target.has_abi_note


def test_stack_guard_link_time_value(bindings_object: Path) -> None:
    with bindings_object.open("rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        found = symtab.get_symbol_by_name("__stack_chk_guard")
        assert found is not None and len(found) == 1
        guard = found[0]
        section = elf.get_section(guard["st_shndx"])
        data = section.data()[guard["st_value"] : guard["st_value"] + 8]
    assert struct.unpack("<Q", data)[0] == SSP_LINK_TIME_GUARD


def test_no_executable_stack_and_no_sse(
    bindings_object: Path, arch_target: tuple[str, targets.Target]
) -> None:
    with bindings_object.open("rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == targets.ARCHES[arch_target[0]].elf_machine_name
        stack_note = elf.get_section_by_name(".note.GNU-stack")
        assert stack_note is not None
        assert stack_note["sh_flags"] & 0x4 == 0  # SHF_EXECINSTR
    if arch_target[0] != "x86_64":
        return  # aarch64 bindings may use FP/SIMD (the tenders untrap it)
    disassembly = subprocess.run(
        ["objdump", "-d", str(bindings_object)], check=True, capture_output=True, text=True
    ).stdout
    # kvm-pvm guests have no FPU/SSE, and TLS is not set up when the canary
    # is first checked: neither may appear.
    assert "%xmm" not in disassembly
    assert "%fs:" not in disassembly
