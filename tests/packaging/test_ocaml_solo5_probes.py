"""The installed wrappers driven the way ocaml-solo5 and OCaml's configure
drive them (ref §5.4-5.6), each probe checked against what upstream's
wrappers give.  The programs are built from tests/packaging/clients/ in a
user's environment (only <prefix>/bin and the system on PATH).

Facts checked against a real ocamlopt (Debian's 4.13, `-verbose -cc
<recorder>`): `-cclib "-z solo5-abi=hvt"` reaches the C compiler as the two
arguments `-z` `solo5-abi=hvt`; the wrappers also take the single-argument
form other drivers may produce.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import TRIPLE, run, skip_unless_runnable, user_env

CC = f"{TRIPLE}-cc"
LD = f"{TRIPLE}-ld"
CLIENTS = Path(__file__).resolve().parent / "clients"
# ocamlopt's flags for C stubs (ocamlfind's OCAMLC_CFLAGS on x86_64).
OCAML_CFLAGS = ["-O2", "-fno-strict-aliasing", "-fwrapv", "-fPIC"]
RUNTIME_MEM_MB = 32  # the runtime-like guest wants 12 MiB of heap + a fiber stack


def host_triple(prefix: Path, work: Path) -> str:
    return run([CC, "-dumpmachine"], work, user_env(prefix)).stdout.strip()


@pytest.fixture
def work(installed: Path, tmp_path: Path) -> Path:
    d = tmp_path / "client"
    d.mkdir()
    return d


def test_dumpmachine_is_the_host_triple(installed: Path, work: Path) -> None:
    """Link mode with no input: the host compiler's triple (upstream's too),
    which gives ocaml-solo5 TARGET_ARCH and the binutils prefix."""
    triple = host_triple(installed, work)
    host = run(["cc", "-dumpmachine"], work, user_env(installed)).stdout.strip()
    assert triple == host and triple.split("-")[0] == "x86_64", triple
    for tool in ("ar", "ranlib", "nm"):
        assert shutil.which(f"{triple}-{tool}", path="/usr/bin:/bin"), f"{triple}-{tool}"
    for tool in ("ld", "objcopy"):
        found = shutil.which(f"{TRIPLE}-{tool}", path=user_env(installed)["PATH"])
        assert found == str(installed / "bin" / f"{TRIPLE}-{tool}")


def test_predefined_macros(installed: Path, work: Path) -> None:
    """`cc -dM -E - </dev/null`: clang detection greps it for __clang__."""
    proc = run([CC, "-dM", "-E", "-"], work, user_env(installed))
    macros = {line.split(" ")[1]: line for line in proc.stdout.splitlines()
              if line.startswith("#define ")}
    assert macros["__x86_64__"] == "#define __x86_64__ 1"
    assert "__clang__" not in macros  # the host compiler here is gcc
    assert macros["__STDC_HOSTED__"] == "#define __STDC_HOSTED__ 0"  # -ffreestanding


def test_plain_main_links_with_the_default_bindings(installed: Path, work: Path) -> None:
    """The first thing autoconf's AC_PROG_CC does: link `int main(void)`
    with nothing else, against the stub.  The result is not runnable (no
    ABI note); a call to a function nobody defines does not link."""
    env = user_env(installed)
    (work / "t.c").write_text("int main(void) { return 0; }\n")
    run([CC, "t.c", "-o", "t"], work, env)
    assert (work / "t").read_bytes()[:4] == b"\x7fELF"
    abi = run(["solo5-elftool", "query-abi", "t"], work, env, status=None)
    assert abi.returncode == 1 and '"target"' not in abi.stdout, "stub binaries have no ABI"
    (work / "missing.c").write_text("char dlopen(void);\nint main(void) { return dlopen(); }\n")
    bad = run([CC, "-O2", "-o", "missing", "missing.c"], work, env, status=None)
    assert bad.returncode != 0 and "dlopen" in bad.stderr, bad.stderr


def test_assembler_through_cc(installed: Path, work: Path) -> None:
    """OCaml's configure uses `$CC -c` on .S files (preprocessed assembly)."""
    env = user_env(installed)
    shutil.copy(CLIENTS / "stack_switch_x86_64.S", work / "sw.S")
    run([CC, "-c", "sw.S", "-o", "sw.o"], work, env)
    nm = run([f"{host_triple(installed, work)}-nm", "sw.o"], work, env).stdout
    for symbol in ("ctx_save", "ctx_jump", "ctx_start"):
        assert f" T {symbol}\n" in nm, nm
    header = run(["readelf", "-h", "sw.o"], work, env).stdout
    assert "REL (Relocatable file)" in header and "X86-64" in header


@pytest.fixture(scope="module")
def runtime_parts(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime-like unikernel's parts, compiled with the wrapper and
    archived with the host's ar, as ocaml-solo5 builds libasmrun.a and
    nolibc: main.o, manifest.o, libruntime.a (runtime.o print.o sw.o) and
    libapp.a (app.o).  The two archives need each other."""
    work = tmp_path_factory.mktemp("runtime")
    env = user_env(installed)
    for name in ("main.c", "runtime.c", "print.c", "app.c"):
        shutil.copy(CLIENTS / name, work / name)
    shutil.copy(CLIENTS / "stack_switch_x86_64.S", work / "sw.S")
    (work / "manifest.json").write_text(
        json.dumps({"type": "solo5.manifest", "version": 1, "devices": []}))
    run(["solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"], work, env)
    for src in ("main.c", "runtime.c", "print.c", "app.c", "manifest.c", "sw.S"):
        run([CC, *OCAML_CFLAGS, "-Wall", "-Werror", "-c", src], work, env)
    ar = f"{host_triple(installed, work)}-ar"
    (work / "lib").mkdir()
    run([ar, "rcs", "lib/libruntime.a", "runtime.o", "print.o", "sw.o"], work, env)
    run([ar, "rcs", "lib/libapp.a", "app.o"], work, env)
    return work


def link_with_cc(work: Path, prefix: Path, out: str, abi_args: list[str]) -> None:
    run([CC, "-O2", "-o", out, "main.o", "manifest.o", "-Llib", "-Wl,--start-group",
         "-lruntime", "-lapp", "-Wl,--end-group", *abi_args], work, user_env(prefix))


def check_runtime_output(proc: subprocess.CompletedProcess[str]) -> None:
    account = f"exit status {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert proc.returncode == 0, account
    for line in ("runtime: heap ok, MiB: 12", "runtime: fiber ok", "runtime: longjmp ok",
                 "runtime: floats ok 1.644924"):
        assert line + "\n" in proc.stdout, account


def run_runtime(prefix: Path, kernel: Path, target: str) -> None:
    skip_unless_runnable(prefix, target)
    tender = prefix / "bin" / f"solo5-{target}"
    proc = run([tender, f"--mem={RUNTIME_MEM_MB}", kernel], kernel.parent, user_env(prefix),
               status=None, timeout=60)
    check_runtime_output(proc)


SPELLINGS = {
    "two-args": lambda t: ["-z", f"solo5-abi={t}"],
    "one-arg": lambda t: [f"-z solo5-abi={t}"],
    "joined": lambda t: [f"-zsolo5-abi={t}"],
}


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("target", ["hvt", "spt"])
def test_link_through_cc(installed: Path, runtime_parts: Path, target: str,
                         spelling: str) -> None:
    """The OCaml-style link: objects, then archives in a group, then the
    -cclib flags; every spelling of -z solo5-abi selects the bindings."""
    out = f"rt-{spelling}.{target}"
    link_with_cc(runtime_parts, installed, out, SPELLINGS[spelling](target))
    abi = run(["solo5-elftool", "query-abi", out], runtime_parts, user_env(installed))
    assert f'"target": "{target}"' in abi.stdout
    run_runtime(installed, runtime_parts / out, target)


@pytest.mark.parametrize("target", ["hvt", "spt"])
def test_link_through_ld(installed: Path, runtime_parts: Path, target: str) -> None:
    """`<triple>-ld -z solo5-abi=TARGET` with -L and an archive group, as
    ocaml-solo5 uses it when it is on PATH; without the group the archives'
    mutual references do not resolve, which shows the group is honoured."""
    env = user_env(installed)
    out = f"rt-ld.{target}"
    base = [LD, "-z", f"solo5-abi={target}", "-o", out, "main.o", "manifest.o", "-L", "lib"]
    run([*base, "--start-group", "-lruntime", "-lapp", "--end-group"], runtime_parts, env)
    run_runtime(installed, runtime_parts / out, target)
    ungrouped = run([*base, "-lruntime", "-lapp"], runtime_parts, env, status=None)
    assert ungrouped.returncode != 0 and "rt_print" in ungrouped.stderr, ungrouped.stderr


def test_joined_spelling_through_ld(installed: Path, runtime_parts: Path) -> None:
    """Upstream's ld wrapper passes `-zsolo5-abi=spt` to ld, which warns
    that it ignores it and links no bindings; ours selects spt
    (docs/compatibility.md)."""
    env = user_env(installed)
    run([LD, "-zsolo5-abi=spt", "-o", "rt-joined.spt", "main.o", "manifest.o", "-L", "lib",
         "--start-group", "-lruntime", "-lapp", "--end-group"], runtime_parts, env)
    abi = run(["solo5-elftool", "query-abi", "rt-joined.spt"], runtime_parts, env)
    assert '"target": "spt"' in abi.stdout
    run_runtime(installed, runtime_parts / "rt-joined.spt", "spt")
