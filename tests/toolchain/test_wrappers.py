"""The x86_64-solo5-none-static-{cc,ld,objcopy} wrappers (ref §5.4)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from toolchain_helpers import TRIPLE, run

from solo5_toolchain import targets


@pytest.fixture
def cc(stage_bin: Path) -> Path:
    return stage_bin / f"{TRIPLE}-cc"


@pytest.fixture
def ld(stage_bin: Path) -> Path:
    return stage_bin / f"{TRIPLE}-ld"


def test_dumpmachine_prints_the_host_triple(cc: Path) -> None:
    host = subprocess.run(["cc", "-dumpmachine"], capture_output=True, text=True, check=True)
    result = run([cc, "-dumpmachine"])
    assert (result.returncode, result.stdout) == (0, host.stdout)
    assert result.stdout.startswith("x86_64-")


def test_predefined_macros(cc: Path) -> None:
    result = run([cc, "-dM", "-E", "-"], stdin=b"")
    assert result.returncode == 0, result.stderr
    macros = result.stdout.splitlines()
    assert "#define __x86_64__ 1" in macros
    assert "#define __STDC_HOSTED__ 0" in macros  # -ffreestanding


def test_no_arguments(cc: Path) -> None:
    result = run([cc])
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"{TRIPLE}-cc: No input files. Compilation terminated.\n"


def test_lone_v_passes_through(cc: Path) -> None:
    result = run([cc, "-v"])
    assert result.returncode == 0
    assert "gcc version" in result.stderr or "clang version" in result.stderr


def test_unknown_target(cc: Path, ld: Path) -> None:
    known = ", ".join(targets.TARGETS)
    for tool in (cc, ld):
        result = run([tool, "-z", "solo5-abi=bogus", "x.o"])
        assert result.returncode == 1
        assert result.stderr == (
            f"{tool.name}: error: unknown Solo5 target 'bogus' in -z solo5-abi (known: {known})\n"
        )


def trace(tool: Path, *args: str) -> str:
    result = run([tool, *args], env={"__V": "1"})
    assert result.returncode == 0, result.stderr
    return result.stderr


SPT_SPELLINGS = [["-z", "solo5-abi=spt"], ["-zsolo5-abi=spt"], ["-z solo5-abi=spt"]]


@pytest.mark.parametrize("spelling", SPT_SPELLINGS)
def test_link_mode_command(cc: Path, stage: Path, spelling: list[str]) -> None:
    line = trace(cc, *spelling, "-z", "noexecstack", "-dumpmachine")
    assert "solo5-abi" not in line
    lib = stage / "lib" / TRIPLE
    expected = (
        f"-nostdinc -mstack-protector-guard=global -isystem {stage}/include/{TRIPLE} "
        f"-I {stage}/include/solo5 -ffreestanding -fstack-protector-strong "
        f"-Wl,--build-id=none -no-pie -nostdlib -L {lib} -Wl,-T,solo5_spt.lds "
        "-l :solo5_spt.o -z max-page-size=0x1000 -static -z noexecstack -dumpmachine"
    )
    assert expected in line


def test_link_mode_defaults_to_stub(cc: Path) -> None:
    assert "-Wl,-T,solo5_stub.lds -l :solo5_stub.o" in trace(cc, "-dumpmachine")


@pytest.mark.parametrize("flag", ["-c", "-S", "-E"])
def test_compile_mode_command(cc: Path, stage: Path, tmp_path: Path, flag: str) -> None:
    (tmp_path / "x.c").write_text('#include "solo5.h"\nint x;\n')
    line = trace(cc, "-z", "solo5-abi=hvt", flag, str(tmp_path / "x.c"), "-o",
                 str(tmp_path / "x.out"))
    assert "-ffreestanding -fstack-protector-strong " + flag in line
    assert "-nostdlib" not in line and "solo5-abi" not in line


def test_compile_uses_only_solo5_headers(cc: Path, tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text('#include <stdint.h>\n#include "solo5.h"\nuint64_t x;\n')
    assert run([cc, "-c", "ok.c", "-o", "ok.o"], cwd=tmp_path).returncode == 0
    (tmp_path / "bad.c").write_text("#include <stdio.h>\n")
    result = run([cc, "-c", "bad.c"], cwd=tmp_path)
    assert result.returncode == 1
    assert "stdio.h" in result.stderr


C11_FREESTANDING_HEADERS = ["float.h", "iso646.h", "limits.h", "stdalign.h", "stdarg.h",
                            "stdbool.h", "stddef.h", "stdint.h", "stdnoreturn.h"]


def test_c11_freestanding_headers(cc: Path, tmp_path: Path) -> None:
    """Every header C11 requires of a freestanding implementation compiles,
    limits.h included (gcc's needs our syslimits.h: docs/compatibility.md)."""
    includes = "".join(f"#include <{h}>\n" for h in C11_FREESTANDING_HEADERS)
    (tmp_path / "f.c").write_text(
        includes + "_Static_assert(CHAR_BIT == 8 && INT_MAX == 2147483647, \"limits\");\n"
        "_Static_assert(LONG_MAX == INT64_MAX && DBL_MANT_DIG == 53, \"sizes\");\n"
        "int x;\n")
    result = run([cc, "-Wall", "-Werror", "-c", "f.c"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr


# Arguments a shell script can mangle: spaces, an empty one, glob and
# backslash characters, ones that look like options of echo or of the shell.
ODD_ARGS = ["dir with space/a b.c", "", '-DMSG="two words"', "*", "a\\nb", "-n", "-e", "--"]


def recorded_argv(tool: Path, host_tool: str, args: list[str], tmp_path: Path) -> list[str]:
    """The argv the wrapper `tool` gives the host tool (`cc` or `ld`, found on
    PATH as the wrappers find it): a stand-in records it byte for byte."""
    fake = tmp_path / "fakebin"
    fake.mkdir(exist_ok=True)
    record = tmp_path / "argv"
    script = fake / host_tool
    script.write_text(f"#!/bin/sh\nprintf '%s\\0' \"$@\" >'{record}'\n")
    script.chmod(0o755)
    result = run([tool, *args], env={"PATH": f"{fake}:{os.environ['PATH']}"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return record.read_bytes().decode().split("\0")[:-1]


def test_cc_passes_every_argument_unchanged(cc: Path, tmp_path: Path) -> None:
    """Order, spaces, empty arguments and shell metacharacters survive the
    wrapper's argument loop; only -z solo5-abi=T is taken out."""
    compiled = recorded_argv(cc, "cc", ["-c", *ODD_ARGS, "-o", "x y.o"], tmp_path)
    assert compiled[-(len(ODD_ARGS) + 3):] == ["-c", *ODD_ARGS, "-o", "x y.o"]
    args = [ODD_ARGS[0], "-z", "solo5-abi=spt", *ODD_ARGS[1:], "-z", "noexecstack",
            "-z solo5-abi=hvt", "-o", "out put", "-z"]
    linked = recorded_argv(cc, "cc", args, tmp_path)
    # The last spelling wins; a trailing -z is the compiler's to refuse.
    assert "-Wl,-T,solo5_hvt.lds" in linked and "-Wl,-T,solo5_spt.lds" not in linked
    assert linked[-(len(ODD_ARGS) + 5):] == [*ODD_ARGS, "-z", "noexecstack", "-o", "out put", "-z"]


def test_ld_passes_every_argument_unchanged(ld: Path, tmp_path: Path) -> None:
    args = ["-z", "noexecstack", *ODD_ARGS, "-zsolo5-abi=spt", "-o", "out put", "-z"]
    linked = recorded_argv(ld, "ld", args, tmp_path)
    assert linked[-(len(ODD_ARGS) + 5):] == ["-z", "noexecstack", *ODD_ARGS, "-o", "out put",
                                             "-z"]
    assert "solo5_spt.lds" in linked


def test_ld_without_target_adds_no_bindings(ld: Path, stage: Path) -> None:
    line = trace(ld, "--version")
    assert f"-nostdlib -L {stage}/lib/{TRIPLE} -z max-page-size=0x1000 -static --version" in line
    assert "-T" not in line


@pytest.mark.parametrize("spelling", SPT_SPELLINGS)
def test_ld_with_target(ld: Path, spelling: list[str]) -> None:
    line = trace(ld, *spelling, "--version")
    assert "-static -T solo5_spt.lds -l :solo5_spt.o --version" in line
    assert "solo5-abi" not in line


def test_objcopy_passes_through(stage_bin: Path) -> None:
    host = subprocess.run(["objcopy", "--version"], capture_output=True, text=True, check=True)
    result = run([stage_bin / f"{TRIPLE}-objcopy", "--version"])
    assert (result.returncode, result.stdout) == (0, host.stdout)


def test_wrapper_follows_symlinks(cc: Path, tmp_path: Path) -> None:
    link = tmp_path / "mycc"
    os.symlink(cc, link)
    result = run([link, "-dM", "-E", "-"], stdin=b"")
    assert result.returncode == 0, result.stderr


def test_wrapper_outside_a_prefix(cc: Path, stage: Path, tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    shutil.copy(cc, tmp_path / "bin" / cc.name)
    result = run([tmp_path / "bin" / cc.name, "-c", "x.c"])
    assert result.returncode == 1
    assert result.stderr == f"{cc.name}: error: include directory not found: {tmp_path}/include\n"
    (tmp_path / "include").mkdir()
    result = run([tmp_path / "bin" / cc.name, "-c", "x.c"])
    assert result.stderr == (
        f"{cc.name}: error: library directory not found: {tmp_path}/lib/{TRIPLE}\n"
    )


def test_target_without_bindings(cc: Path, ld: Path, tmp_path: Path) -> None:
    # A known target whose bindings the build left out (xen without Xen's
    # headers): one clear line, not a linker error.
    (tmp_path / "include").mkdir()
    (tmp_path / "lib" / TRIPLE).mkdir(parents=True)
    (tmp_path / "bin").mkdir()
    for tool in (cc, ld):
        shutil.copy(tool, tmp_path / "bin" / tool.name)
        result = run([tmp_path / "bin" / tool.name, "-z", "solo5-abi=hvt", "x.o", "-o", "x"])
        assert (result.returncode, result.stderr) == (1, (
            f"{tool.name}: error: no bindings for the hvt target: "
            f"{tmp_path}/lib/{TRIPLE}/solo5_hvt.o is not installed\n"))

