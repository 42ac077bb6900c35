"""The installed cc wrapper driven the way OCaml's configure (through
ocaml-solo5) and MirageOS 4's dune rules drive it (ref §5.6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import TRIPLE, run, skip_unless_runnable, user_env

CC = f"{TRIPLE}-cc"
# ocamlfind/ocamlopt's flags for C stubs and for linking native executables.
OCAML_CFLAGS = ["-O2", "-fno-strict-aliasing", "-fwrapv", "-fPIC"]
OCAML_LDFLAGS = ["-O2", "-fno-strict-aliasing", "-fwrapv", "-Wl,-E"]

# What a libc shim (nolibc in ocaml-solo5) and mirage-solo5 provide: the
# unikernel's solo5_app_main, which runs the C/OCaml main().
BRIDGE_C = """
#include "solo5.h"
extern int main(void);
static const char *bridge_cmdline;
const char *bridge_get_cmdline(void) { return bridge_cmdline; }
int solo5_app_main(const struct solo5_start_info *si)
{
    bridge_cmdline = si->cmdline;
    return main();
}
"""

MAIN_C = """
#include "solo5.h"
const char *bridge_get_cmdline(void);
static unsigned long slen(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }
static void puts_(const char *s) { solo5_console_write(s, slen(s)); }
int main(void)
{
    struct solo5_block_info info;
    solo5_handle_t h;
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return 3;
    puts_("mirage-shaped unikernel: ");
    puts_(bridge_get_cmdline());
    puts_(info.capacity == 8 * 512 ? " capacity ok\\n" : " capacity WRONG\\n");
    return 42;
}
"""


@pytest.fixture
def work(installed: Path, tmp_path: Path) -> Path:
    d = tmp_path / "mirage"
    d.mkdir()
    return d


def host_triple(installed: Path, work: Path) -> str:
    return run([CC, "-dumpmachine"], work, user_env(installed)).stdout.strip()


def test_dumpmachine_names_the_arch_and_binutils(installed: Path, work: Path) -> None:
    triple = host_triple(installed, work)
    assert triple.split("-")[0] == "x86_64", triple  # TARGET_ARCH for ocaml-solo5
    # ocaml-solo5 takes ar/ranlib/nm as <that triple>-<tool> when <target>-<tool> is absent.
    for tool in ("ar", "ranlib", "nm"):
        assert shutil.which(f"{triple}-{tool}", path="/usr/bin:/bin"), f"{triple}-{tool}"
    # ... and the Solo5 ld and objcopy from PATH when present.
    for tool in ("ld", "objcopy"):
        found = shutil.which(f"{TRIPLE}-{tool}", path=user_env(installed)["PATH"])
        assert found == str(installed / "bin" / f"{TRIPLE}-{tool}")


def test_predefined_macros(installed: Path, work: Path) -> None:
    """`cc -dM -E -` (clang detection and the arch's macros), freestanding."""
    proc = run([CC, "-dM", "-E", "-"], work, user_env(installed))
    macros = dict(
        line.split(" ", 2)[1:] if line.count(" ") >= 2 else (line.split(" ")[1], "")
        for line in proc.stdout.splitlines()
        if line.startswith("#define ")
    )
    assert macros.get("__x86_64__") == "1"
    assert "__clang__" not in macros  # the host compiler here is gcc
    assert macros.get("__STDC_HOSTED__") == "0"  # -ffreestanding


def test_configure_link_tests_default_to_the_stub(installed: Path, work: Path) -> None:
    """Autoconf's link tests: a program with main() links (stub target, no
    -z solo5-abi), and one calling a function nobody defines does not."""
    env = user_env(installed)
    triple = host_triple(installed, work)
    (work / "bridge.c").write_text(BRIDGE_C)
    run([CC, *OCAML_CFLAGS, "-c", "bridge.c"], work, env)
    run([f"{triple}-ar", "rcs", "libbridge.a", "bridge.o"], work, env)

    (work / "conftest.c").write_text("int main(void) { return 0; }\n")
    run([CC, "-O2", "-o", "conftest", "conftest.c", "-L.", "-lbridge"], work, env)
    assert (work / "conftest").read_bytes()[:4] == b"\x7fELF"
    abi = run(["solo5-elftool", "query-abi", "conftest"], work, env, status=None)
    assert abi.returncode == 1 and '"target"' not in abi.stdout, "stub binaries have no ABI"

    (work / "missing.c").write_text(
        "char dlopen(void);\nint main(void) { return dlopen(); }\n"
    )
    bad = run([CC, "-O2", "-o", "missing", "missing.c", "-L.", "-lbridge"], work, env,
              status=None)
    assert bad.returncode != 0 and "dlopen" in bad.stderr, bad.stderr


@pytest.mark.parametrize("target", ["hvt", "spt"])
def test_dune_rules(installed: Path, work: Path, target: str) -> None:
    """gen-manifest, manifest.c as a C stub, `-cclib "-z solo5-abi=<target>"`,
    copy to <name>.<target>, run with the declared device attached."""
    env = user_env(installed)
    triple = host_triple(installed, work)
    (work / "manifest.json").write_text(json.dumps({
        "type": "solo5.manifest", "version": 1,
        "devices": [{"name": "storage", "type": "BLOCK_BASIC"}],
    }))
    run(["solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"], work, env)
    (work / "bridge.c").write_text(BRIDGE_C)
    (work / "main.c").write_text(MAIN_C)
    for src in ("manifest.c", "bridge.c", "main.c"):
        run([CC, *OCAML_CFLAGS, "-c", src], work, env)
    run([f"{triple}-ar", "rcs", "libbridge.a", "bridge.o"], work, env)
    run([CC, *OCAML_LDFLAGS, "-o", "main.exe", "main.o", "manifest.o", "-L.", "-lbridge",
         "-z", f"solo5-abi={target}"], work, env)
    shutil.copy(work / "main.exe", work / f"hello.{target}")

    mft = run(["solo5-elftool", "query-manifest", f"hello.{target}"], work, env).stdout
    assert '{ "name": "storage", "type": "BLOCK_BASIC" }' in mft
    (work / "disk.img").write_bytes(bytes(8 * 512))
    skip_unless_runnable(installed, target)
    tender = installed / "bin" / f"solo5-{target}"
    proc = run([tender, "--mem=2", "--block:storage=disk.img", f"hello.{target}", "from",
                "dune"], work, env, status=None, timeout=60)
    assert proc.returncode == 42, proc.stdout + proc.stderr
    assert "mirage-shaped unikernel: from dune capacity ok" in proc.stdout, proc.stdout
