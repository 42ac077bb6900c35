"""The installed cc wrapper driven the way MirageOS 4's dune rules drive it
(ref §5.6).  ocaml-solo5's and OCaml's configure probes are in
test_ocaml_solo5_probes.py and test_autoconf.py."""

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
