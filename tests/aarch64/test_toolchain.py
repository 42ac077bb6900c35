"""The aarch64 toolchain on this x86_64 host: a unikernel for aarch64 is
built exactly as for x86_64, with the other prefix (ref A1), and
solo5-elftool reads it.  No VM needed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from solo5_toolchain import targets

from . import vm
from .conftest import TOP

ARCH = targets.ARCHES["aarch64"]
STAGE_BIN = TOP / "build" / "stage" / "bin"
CC = STAGE_BIN / f"{ARCH.triple}-cc"
EXAMPLE = TOP / "examples" / "hello"


def run(argv: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """As a user would: the stage's bin/ first on PATH, nothing of ours else."""
    env = {"PATH": f"{STAGE_BIN}:/usr/bin:/bin", "LC_ALL": "C", "HOME": str(cwd)}
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"{' '.join(map(str, argv))}:\n{proc.stdout}{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def cc() -> Path:
    if not CC.is_file():
        pytest.fail(
            f"{CC} is not built: install gcc-aarch64-linux-gnu (scripts/ensure-env.sh "
            "does) and run `scons -Q -j2`"
        )
    return CC


def test_the_wrapper_is_the_aarch64_compiler(cc: Path, tmp_path: Path) -> None:
    assert run([cc.name, "-dumpmachine"], tmp_path).stdout.startswith("aarch64-")
    macros = run([cc.name, "-dM", "-E", "-x", "c", "/dev/null"], tmp_path).stdout
    assert "#define __aarch64__ 1" in macros and "__x86_64__" not in macros


@pytest.fixture(scope="module")
def hello(cc: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """examples/hello built out of the tree for stub, hvt and spt, the
    documented way (docs/building.md) with the aarch64 prefix."""
    work = tmp_path_factory.mktemp("hello")
    for name in ("hello.c", "manifest.json"):
        shutil.copy(EXAMPLE / name, work)
    run(["solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"], work)
    run([cc.name, "-O2", "-c", "hello.c", "manifest.c"], work)
    out = {}
    for target in ("stub", "hvt", "spt"):
        abi = [] if target == "stub" else ["-z", f"solo5-abi={target}"]
        run([cc.name, *abi, "hello.o", "manifest.o", "-o", f"hello.{target}"], work)
        out[target] = work / f"hello.{target}"
    return out


@pytest.mark.parametrize("target", ["hvt", "spt"])
def test_elftool_reads_aarch64_unikernels(hello: dict[str, Path], target: str) -> None:
    work = hello[target].parent
    abi = json.loads(run(["solo5-elftool", "query-abi", hello[target]], work).stdout)
    t = targets.TARGETS[target]
    assert abi == {"type": "solo5.abi", "target": target, "version": t.abi_version}
    mft = json.loads(run(["solo5-elftool", "query-manifest", hello[target]], work).stdout)
    assert mft["devices"] == []


@pytest.mark.parametrize("target", ["stub", "hvt", "spt"])
def test_unikernel_is_a_static_aarch64_executable(hello: dict[str, Path], target: str) -> None:
    with hello[target].open("rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_AARCH64" and elf["e_type"] == "ET_EXEC"
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD" and s["p_memsz"]]
        text = loads[0]
        assert text["p_vaddr"] == 0x100000
        assert text["p_flags"] == targets.TARGETS[target].text_flags
        # W^X in the file already: no segment is both writable and executable.
        for seg in loads:
            assert seg["p_flags"] & (targets.PF_W | targets.PF_X) != (targets.PF_W | targets.PF_X)
        assert not any(s["p_type"] == "PT_DYNAMIC" for s in elf.iter_segments())


def test_the_aarch64_tenders_are_built_for_aarch64() -> None:
    cross = TOP / "build" / "cross" / "aarch64" / "bin"
    for tender in ("solo5-hvt", "solo5-spt"):
        path = cross / tender
        assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
        with path.open("rb") as f:
            elf = ELFFile(f)
            assert elf["e_machine"] == "EM_AARCH64"
            dynamic = elf.get_section_by_name(".dynamic")
            needed = {t.needed for t in dynamic.iter_tags("DT_NEEDED")}
        # What the VM's /lib holds (vm.py) is all they load: libc and its
        # loader, no libseccomp (the tenders write their filters).
        assert "libc.so.6" in needed, (tender, needed)
        assert needed <= {*vm.TENDER_LIBS, vm.DYNAMIC_LOADER}, (tender, needed)
        assert os.access(path, os.X_OK)
    # The prefix (what `scons install` copies) keeps the host's tenders.
    with (STAGE_BIN / "solo5-spt").open("rb") as f:
        assert ELFFile(f)["e_machine"] == "EM_X86_64"


def test_ld_and_objcopy_wrappers_as_ocaml_solo5_uses_them(cc: Path, tmp_path: Path) -> None:
    """Linked by the -ld wrapper (ocaml-solo5's route), with a device in the
    manifest; stripped by the -objcopy wrapper: the notes survive both."""
    (tmp_path / "manifest.json").write_text(json.dumps({
        "type": "solo5.manifest", "version": 1,
        "devices": [{"name": "service0", "type": "NET_BASIC"}],
    }))  # fmt: skip
    shutil.copy(EXAMPLE / "hello.c", tmp_path)
    run(["solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"], tmp_path)
    run([cc.name, "-O2", "-g", "-c", "hello.c", "manifest.c"], tmp_path)
    ld, objcopy = f"{ARCH.triple}-ld", f"{ARCH.triple}-objcopy"
    run([ld, "-z", "solo5-abi=spt", "hello.o", "manifest.o", "-o", "hello.spt"], tmp_path)
    run([objcopy, "--strip-debug", "hello.spt", "stripped.spt"], tmp_path)
    for name in ("hello.spt", "stripped.spt"):
        abi = json.loads(run(["solo5-elftool", "query-abi", name], tmp_path).stdout)
        assert abi["target"] == "spt"
        mft = json.loads(run(["solo5-elftool", "query-manifest", name], tmp_path).stdout)
        assert mft["devices"] == [{"name": "service0", "type": "NET_BASIC"}]
    for name, debug in (("hello.spt", True), ("stripped.spt", False)):
        with (tmp_path / name).open("rb") as f:
            elf = ELFFile(f)
            assert elf["e_machine"] == "EM_AARCH64"
            assert (elf.get_section_by_name(".debug_info") is not None) == debug, name
