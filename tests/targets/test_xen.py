"""xen: the build and link contract of the target (ABI and PVH notes,
segments, exported symbols, the installed Xen headers, the generated xl
configuration), checked without Xen.  tests/xen boots the unikernels on
Xen itself."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from support import paths
from support.paths import BUILD

from solo5_toolchain import abi, generate, targets

TOP = Path(__file__).resolve().parents[2]
STAGE = BUILD / "stage"
LIB = STAGE / "lib" / targets.TRIPLE
GUESTS = paths.GUESTS
XEN = targets.TARGETS["xen"]
CC = STAGE / "bin" / f"{targets.TRIPLE}-cc"
ELFTOOL = STAGE / "bin" / "solo5-elftool"

pytestmark = pytest.mark.skipif(
    not (LIB / "solo5_xen.o").is_file(),
    reason="the xen target is not built here (the build says why: Xen's headers, "
    "Debian's libxen-dev, are missing)",
)


def run(argv: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)


def symbols(path: Path) -> dict[str, tuple[int, str]]:
    """name -> (value, nm type letter) of the defined and undefined symbols."""
    out = run(["nm", "-P", path]).stdout
    table = {}
    for line in out.splitlines():
        fields = line.split()
        table[fields[0]] = (int(fields[2], 16) if len(fields) > 2 else 0, fields[1])
    return table


def notes(path: Path) -> list[tuple[str, int, bytes]]:
    """(owner, type, descriptor) of the first note of every PT_NOTE."""
    found = []
    with path.open("rb") as f:
        for seg in ELFFile(f).iter_segments():
            if seg["p_type"] != "PT_NOTE":
                continue
            data = seg.data()
            namesz, descsz, ntype = struct.unpack_from("<III", data)
            name = data[12 : 12 + namesz].rstrip(b"\0").decode()
            desc_at = 12 + -(-namesz // 4) * 4
            found.append((name, ntype, data[desc_at : desc_at + descsz]))
    return found


@pytest.fixture(scope="module")
def hello() -> Path:
    path = GUESTS / "test_hello" / "test_hello.xen"
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
    return path


def test_query_abi_prints_the_xen_target(hello: Path) -> None:
    out = run([ELFTOOL, "query-abi", hello])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"type": "solo5.abi", "target": "xen", "version": 1}


def test_query_manifest(hello: Path) -> None:
    out = run([ELFTOOL, "query-manifest", GUESTS / "test_hello" / "test_hello.xen"])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"type": "solo5.manifest", "version": 1, "devices": []}


def test_notes_in_upstream_order_with_the_pvh_entry(hello: Path) -> None:
    found = notes(hello)
    assert [(owner, ntype) for owner, ntype, _ in found] == [
        (abi.OPENBSD_NOTE_OWNER, abi.OPENBSD_NOTE_TYPE),
        ("Xen", targets.XEN_ELFNOTE_PHYS32_ENTRY),
        (abi.NOTE_OWNER, abi.ABI1_NOTE_TYPE),
        (abi.NOTE_OWNER, abi.MFT1_NOTE_TYPE),
    ]
    assert struct.unpack("<IIII", found[2][2]) == (6, 1, 0, 0)
    # PHYS32_ENTRY: the 32-bit address of _start32, in the executable text.
    (entry,) = struct.unpack("<I", found[1][2])
    assert entry == symbols(hello)["_start32"][0]
    with hello.open("rb") as f:
        text = next(s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD")
        assert text["p_flags"] == targets.PF_R | targets.PF_X
        assert text["p_vaddr"] <= entry < text["p_vaddr"] + text["p_filesz"]


def test_the_table_agrees_with_xens_headers(stage: Path, tmp_path: Path) -> None:
    # One source of truth: the note type and interface version in the
    # targets table are Xen's (the installed headers are the host's).
    src = tmp_path / "agree.c"
    src.write_text(
        '#include <stdint.h>\n#include "xen/xen.h"\n#include "xen/elfnote.h"\n'
        f"_Static_assert(XEN_ELFNOTE_PHYS32_ENTRY == {targets.XEN_ELFNOTE_PHYS32_ENTRY}, "
        '"note type");\n'
        f"_Static_assert(__XEN_LATEST_INTERFACE_VERSION__ >= {targets.XEN_INTERFACE_VERSION}, "
        '"interface version");\n'
        f"_Static_assert(__XEN_INTERFACE_VERSION__ == {targets.XEN_INTERFACE_VERSION}, "
        '"as asked");\n'
    )
    out = run([CC, f"-D__XEN_INTERFACE_VERSION__={targets.XEN_INTERFACE_VERSION:#x}",
               "-c", src, "-o", tmp_path / "agree.o"])
    assert out.returncode == 0, out.stderr


def test_segments_suit_xens_domain_builders(hello: Path) -> None:
    with hello.open("rb") as f:
        loads = [s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
    # Xen 4.17's PVH dom0 builder takes the lowest PT_LOAD as the image
    # start: an empty one at 0 put the start info over the text.
    assert all(s["p_memsz"] > 0 and s["p_vaddr"] >= abi.GUEST_MIN_BASE for s in loads)
    assert [s["p_flags"] for s in loads] == [
        targets.PF_R | targets.PF_X, targets.PF_R | targets.PF_W, targets.PF_R | targets.PF_W]


def test_private_exports_are_upstreams() -> None:
    table = symbols(LIB / "solo5_xen.o")
    kinds = {name: table[name][1] for name in XEN.private_exports}
    assert kinds == {
        "_start32": "T",
        "solo5__xen_HYPERCALL_PAGE": "T",
        "solo5__xen_HYPERVISOR_SHARED_INFO": "B",
        "solo5__xen_get_gntmap_area": "T",
        "solo5__xen_evtchn_vector_handler": "W",
    }
    # Xen writes each of these pages whole, by its physical address.
    page = abi.PAGE_SIZE
    for name in ("solo5__xen_HYPERCALL_PAGE", "solo5__xen_HYPERVISOR_SHARED_INFO"):
        out = run(["nm", "-S", "-P", LIB / "solo5_xen.o"]).stdout
        line = next(x for x in out.splitlines() if x.startswith(name + " "))
        assert int(line.split()[3], 16) == page, line
    unikernel = symbols(GUESTS / "test_hello" / "test_hello.xen")
    assert unikernel["solo5__xen_HYPERCALL_PAGE"][0] % page == 0
    assert unikernel["solo5__xen_HYPERVISOR_SHARED_INFO"][0] % page == 0


MIRAGE_OVERRIDE = r"""
#include "solo5.h"
#include <stdint.h>
#include <stddef.h>
/* What MirageOS's Xen support declares and defines (its own sources). */
extern uint8_t solo5__xen_HYPERVISOR_SHARED_INFO[];
extern uint8_t solo5__xen_HYPERCALL_PAGE[];
void solo5__xen_get_gntmap_area(uint64_t *addr, size_t *size);
int solo5__xen_evtchn_vector_handler(void *arg);
int solo5__xen_evtchn_vector_handler(void *arg) { (void)arg; return 1; }

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t addr;
    size_t size;

    (void)si;
    solo5__xen_get_gntmap_area(&addr, &size);
    return solo5__xen_HYPERVISOR_SHARED_INFO[0] + solo5__xen_HYPERCALL_PAGE[0] +
        (int)(addr >> 32) + (int)(size >> 30);
}
"""


def test_mirage_links_against_the_private_exports(tmp_path: Path) -> None:
    (tmp_path / "app.c").write_text(MIRAGE_OVERRIDE)
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"type": "solo5.manifest", "version": 1, "devices": []}')
    steps = [
        [ELFTOOL, "gen-manifest", manifest, tmp_path / "manifest.c"],
        [CC, "-O2", "-c", tmp_path / "app.c", "-o", tmp_path / "app.o"],
        [CC, "-c", tmp_path / "manifest.c", "-o", tmp_path / "manifest.o"],
        [CC, "-z", "solo5-abi=xen", tmp_path / "app.o", tmp_path / "manifest.o",
         "-o", tmp_path / "app.xen"],
    ]
    for argv in steps:
        out = run(argv, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
    # The application's strong handler replaced the bindings' weak one.
    table = symbols(tmp_path / "app.xen")
    assert table["solo5__xen_evtchn_vector_handler"][1] == "T"
    app = symbols(tmp_path / "app.o")
    assert app["solo5__xen_evtchn_vector_handler"][1] == "T"
    with (tmp_path / "app.xen").open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        handlers = symtab.get_symbol_by_name("solo5__xen_evtchn_vector_handler")
        assert handlers is not None and len(handlers) == 1


def test_installed_headers_are_xens_public_interface(stage: Path) -> None:
    headers = stage / "include" / "solo5" / "xen"
    for rel in ("xen.h", "xen-compat.h", "event_channel.h", "grant_table.h", "memory.h",
                "sched.h", "arch-x86/hvm/start_info.h", "hvm/params.h", "io/console.h",
                "io/ring.h", "io/netif.h", "io/xs_wire.h"):
        assert (headers / rel).is_file(), rel
    # Linux's ioctl headers and the toolstack's foreign layouts are left out.
    assert not (headers / "sys").exists() and not (headers / "foreign").exists()
    assert not [h for h in ("evtchn.h", "gntalloc.h", "gntdev.h", "privcmd.h")
                if (headers / h).exists()]
    assert XEN.public_headers is not None
    source = Path(XEN.public_headers.source)
    if source.is_dir():  # taken from the host at build time, not kept in the tree
        assert (headers / "xen.h").read_bytes() == (source / "xen.h").read_bytes()
    assert not (TOP / "include" / "solo5" / "xen").exists()


def test_consumer_compiles_against_the_headers(tmp_path: Path) -> None:
    # As MirageOS's C stubs do: "xen/..." through the wrapper's include path
    # (Xen's headers expect the integer types to be there already).
    (tmp_path / "netfront.c").write_text(
        '#include <stdint.h>\n#include "xen/xen.h"\n#include "xen/grant_table.h"\n#include "xen/io/netif.h"\n'
        '#include "xen/io/xs_wire.h"\n#include "xen/event_channel.h"\n'
        "int ring_size(void) { return (int)sizeof(struct netif_tx_sring)"
        " + XS_WRITE + (int)sizeof(grant_entry_v1_t); }\n"
    )
    for version in (f"{targets.XEN_INTERFACE_VERSION:#x}", "__XEN_LATEST_INTERFACE_VERSION__"):
        out = run([CC, "-Wall", "-Werror", f"-D__XEN_INTERFACE_VERSION__={version}", "-c",
                   tmp_path / "netfront.c", "-o", tmp_path / "netfront.o"])
        assert out.returncode == 0, out.stderr


def test_xl_configuration_of_every_xen_guest() -> None:
    configs = sorted(GUESTS.glob("*/*.xl"))
    kernels = sorted(GUESTS.glob("*/*.xen"))
    assert [c.with_suffix(".xen") for c in configs] == kernels
    text = (GUESTS / "test_hello" / "test_hello.xl").read_text()
    settings = dict(re.findall(r"^(\w+) = (.*)$", text, re.M))
    assert settings == {"name": "'test_hello'", "kernel": "'test_hello.xen'", "type": "'pvh'",
                        "memory": str(targets.XEN_XL_MEMORY_MB)}
    assert generate.guest_config_variables(XEN, "test_hello")["kernel"] == "test_hello.xen"


def test_pkg_config_file(stage: Path) -> None:
    pc = (stage / "lib" / "pkgconfig" / "solo5-bindings-xen.pc").read_text()
    assert "solo5_xen.lds" in pc and "solo5_xen.o" in pc


def test_build_without_xens_headers_skips_the_target_with_a_note(top: Path) -> None:
    # A dry run (nothing is built or removed) with the headers "missing".
    scons = shutil.which("scons", path=str(Path(sys.executable).parent)) or "scons"
    out = run([scons, "-n", "-Q", "XEN_HEADERS=/nonexistent/xen", "build/stage/lib"], cwd=top)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ("note: the xen target is not built: /nonexistent/xen not found (install "
            "Debian's libxen-dev, or scons XEN_HEADERS=DIR)") in out.stdout
    assert "solo5_xen" not in out.stdout
