"""An autoconf-generated configure run against the installed wrappers, as
OCaml's configure is run by ocaml-solo5: `--host=x86_64-solo5-none-static
CC=x86_64-solo5-none-static-cc`, in a user's environment.  configure.ac
(tests/packaging/clients) makes the usual probes; `configure` is generated
at test time with Debian's autoconf, and what it found is then compiled
into a unikernel that checks it on hvt and spt."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import TRIPLE, run, run_unikernel, user_env

CC = f"{TRIPLE}-cc"
CLIENTS = Path(__file__).resolve().parent / "clients"


@pytest.fixture(scope="module")
def configured(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree where autoreconf and ./configure have run; fails with
    configure's own output and config.log when configure fails."""
    if shutil.which("autoreconf") is None:
        pytest.fail("autoconf is not installed (scripts/ensure-env.sh installs it)")
    work = tmp_path_factory.mktemp("autoconf")
    for name in ("configure.ac", "probe.c"):
        shutil.copy(CLIENTS / name, work / name)
    env = user_env(installed)
    run(["autoreconf"], work, env)
    proc = run(["./configure", f"--host={TRIPLE}", f"CC={CC}"], work, env, status=None)
    log = (work / "config.log").read_text(errors="replace") if proc.returncode else ""
    assert proc.returncode == 0, f"{proc.stdout}{proc.stderr}\n--- config.log ---\n{log}"
    (work / "configure.out").write_text(proc.stdout)
    return work


def result_of(configured: Path, check: str) -> str:
    """What configure printed after `checking <check>...`."""
    for line in (configured / "configure.out").read_text().splitlines():
        if line.startswith(f"checking {check}... "):
            return line[len(f"checking {check}... "):]
    raise AssertionError(f"configure did not check {check!r}")


def test_compiler_works_and_is_cross(configured: Path) -> None:
    assert result_of(configured, "whether the C compiler works") == "yes"
    assert result_of(configured, "whether we are cross compiling") == "yes"
    assert result_of(configured, "for suffix of executables") == ""


def test_preprocessor_is_the_wrapper(configured: Path) -> None:
    """AC_PROG_CPP needs <limits.h>; without it configure falls back to the
    host's cpp and the host's headers (docs/compatibility.md)."""
    assert result_of(configured, "how to run the C preprocessor") == f"{CC} -E"


def test_probe_results(configured: Path) -> None:
    config_h = (configured / "config.h").read_text()
    for define in ("SIZEOF_INT 4", "SIZEOF_LONG 8", "SIZEOF_VOID_P 8", "PROBE_LITTLE_ENDIAN 1",
                   "PROBE_LINKS_SOLO5 1", "HAVE_LIMITS_H 1", "HAVE_SOLO5_H 1"):
        assert f"#define {define}\n" in config_h, define
    # Hosted headers and functions are absent, as they are in a unikernel.
    assert "#define HAVE_STDIO_H" not in config_h
    assert "#define HAVE_DLOPEN" not in config_h


@pytest.mark.parametrize("target", ["hvt", "spt"])
def test_results_hold_in_a_unikernel(installed: Path, configured: Path, target: str) -> None:
    env = user_env(installed)
    (configured / "manifest.json").write_text(
        json.dumps({"type": "solo5.manifest", "version": 1, "devices": []}))
    run(["solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"], configured, env)
    for src in ("probe.c", "manifest.c"):
        run([CC, "-O2", "-Wall", "-Werror", "-I.", "-c", src], configured, env)
    kernel = configured / f"probe.{target}"
    run([CC, "-z", f"solo5-abi={target}", "probe.o", "manifest.o", "-o", kernel.name],
        configured, env)
    proc = run_unikernel(installed, kernel, target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "probe: configure's sizes hold in the unikernel\n" in proc.stdout
