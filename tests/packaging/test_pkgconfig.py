"""lib/pkgconfig/solo5-bindings-<target>.pc: the historical names and variables
(ref §5.3), whose flags build a working unikernel with a plain compiler."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from solo5_toolchain import targets
from solo5_toolchain.version import VERSION

from .conftest import TOP, TRIPLE, check_hello, run, run_unikernel, user_env

HELLO = TOP / "examples" / "hello"


def pc_env(prefix: Path) -> dict[str, str]:
    # Only our directory: the system's own .pc files must not matter.
    return user_env(prefix, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"),
                    PKG_CONFIG_LIBDIR="")


def pkg_config(prefix: Path, *args: str) -> str:
    return run(["pkg-config", *args], prefix, pc_env(prefix)).stdout.strip()


@pytest.fixture(scope="module", autouse=True)
def _need_pkg_config() -> None:
    if not shutil.which("pkg-config"):
        pytest.fail("pkg-config is not installed (scripts/ensure-env.sh installs it)")


def test_one_pc_file_per_target(installed: Path) -> None:
    names = sorted(p.name for p in (installed / "lib" / "pkgconfig").iterdir())
    assert names == sorted(f"solo5-bindings-{t}.pc" for t in targets.TARGETS)


@pytest.mark.parametrize("target", list(targets.TARGETS))
def test_variables(installed: Path, target: str) -> None:
    pkg = f"solo5-bindings-{target}"
    assert pkg_config(installed, "--modversion", pkg) == VERSION
    prefix = Path(pkg_config(installed, "--variable=prefix", pkg))
    assert prefix.resolve() == installed.resolve()
    libdir = Path(pkg_config(installed, "--variable=libdir", pkg))
    assert libdir.resolve() == (installed / "lib" / TRIPLE).resolve()
    includedir = Path(pkg_config(installed, "--variable=includedir", pkg))
    assert (includedir / "solo5" / "solo5.h").is_file()
    assert pkg_config(installed, "--variable=ld", pkg) == "ld"
    ldflags = shlex.split(pkg_config(installed, "--variable=ldflags", pkg))
    assert ldflags[-3:] == ["-T", f"{libdir}/solo5_{target}.lds", f"{libdir}/solo5_{target}.o"]


def flag_set(words: list[str]) -> set[tuple[str, str]]:
    """Compiler flags as (flag, resolved path or ''), whatever the spelling of -I."""
    flags = set()
    it = iter(words)
    for word in it:
        if word in ("-I", "-isystem"):
            flags.add((word, str(Path(next(it)).resolve())))
        elif word.startswith("-I"):
            flags.add(("-I", str(Path(word[2:]).resolve())))
        else:
            flags.add((word, ""))
    return flags


def test_cflags_are_the_wrappers(installed: Path, tmp_path: Path) -> None:
    """pkg-config --cflags gives what the cc wrapper adds in compile mode."""
    cflags = shlex.split(pkg_config(installed, "--cflags", "solo5-bindings-spt"))
    (tmp_path / "x.c").write_text("int x;\n")
    traced = run([f"{TRIPLE}-cc", "-c", "x.c"], tmp_path, user_env(installed, __V="1")).stderr
    command = shlex.split(traced.strip().splitlines()[-1])
    # "+ exec cc FLAGS... -c x.c": the wrapper's own flags sit between cc and -c.
    start = command.index("cc") + 1
    wrapper_flags = command[start : command.index("-c")]
    assert flag_set(cflags) == flag_set(wrapper_flags), (cflags, wrapper_flags)


@pytest.mark.parametrize("link", ["cc-libs", "ld-ldflags"])
@pytest.mark.parametrize("target", ["spt", "hvt"])
def test_plain_compiler_builds_a_unikernel(
    installed: Path, tmp_path: Path, target: str, link: str
) -> None:
    """cc with --cflags, then cc with --libs (or ld with ldflags): it runs."""
    work = tmp_path / "hello"
    shutil.copytree(HELLO, work)
    env = pc_env(installed)
    pkg = f"solo5-bindings-{target}"
    cflags = shlex.split(pkg_config(installed, "--cflags", pkg))
    run(["cc", *cflags, "-O2", "-Wall", "-Werror", "-c", "hello.c"], work, env)
    run(["solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"], work, env)
    run(["cc", *cflags, "-c", "manifest.c"], work, env)
    kernel = f"hello.{target}"
    if link == "cc-libs":
        libs = shlex.split(pkg_config(installed, "--libs", pkg))
        run(["cc", "hello.o", "manifest.o", *libs, "-o", kernel], work, env)
    else:
        ld = pkg_config(installed, "--variable=ld", pkg)
        ldflags = shlex.split(pkg_config(installed, "--variable=ldflags", pkg))
        run([ld, *ldflags, "hello.o", "manifest.o", "-o", kernel], work, env)
    abi = run(["solo5-elftool", "query-abi", kernel], work, env).stdout
    assert f'"target": "{target}"' in abi
    check_hello(run_unikernel(installed, work / kernel, target, ["pc", "ok"]), "pc ok")
