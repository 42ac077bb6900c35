"""The SCons tool of an installed prefix: env.Tool("solo5") and Solo5Unikernel."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import check_hello, run, run_unikernel, user_env

SCONSTRUCT = """
import os
env = Environment(tools=["default"], CCFLAGS=["-O2", "-Wall", "-Werror"])
env.Tool("solo5", toolpath=[os.path.join({prefix!r}, "share", "solo5", "scons")])
kernels = env.Solo5Unikernel("app", ["main.c"], manifest="app.json", targets={targets!r})
print("KERNELS=" + " ".join(str(k) for k in kernels))
"""

MAIN_C = """
#include "solo5.h"
int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    solo5_console_write("Hello from a Solo5 unikernel!\\n", 30);
    solo5_console_write("Command line: ''\\n", 17);
    return 0;
}
"""


def manifest(devices: list[dict[str, str]]) -> str:
    return json.dumps({"type": "solo5.manifest", "version": 1, "devices": devices})


def scons(work: Path, prefix: Path, *args: str, status: int = 0) -> str:
    found = shutil.which("scons")
    assert found, "scons is not on PATH: source scripts/ensure-env.sh first"
    proc = run([found, "-Q", *args], work, user_env(prefix), status=status)
    return proc.stdout + proc.stderr


@pytest.fixture
def project(installed: Path, tmp_path: Path) -> Path:
    work = tmp_path / "project"
    work.mkdir()
    (work / "SConstruct").write_text(
        SCONSTRUCT.format(prefix=str(installed), targets=["spt", "hvt"])
    )
    (work / "main.c").write_text(MAIN_C)
    (work / "app.json").write_text(manifest([]))
    return work


def test_one_unikernel_per_target(installed: Path, project: Path) -> None:
    out = scons(project, installed)
    assert "KERNELS=app.spt app.hvt" in out
    for target in ("spt", "hvt"):
        abi = run(["solo5-elftool", "query-abi", f"app.{target}"], project, user_env(installed))
        assert f'"target": "{target}"' in abi.stdout
        check_hello(run_unikernel(installed, project / f"app.{target}", target), "")


def test_manifest_change_relinks_and_nothing_else_does(installed: Path, project: Path) -> None:
    scons(project, installed)
    assert "is up to date" in scons(project, installed)

    # Touching without changing the content is not a change.
    (project / "app.json").write_text(manifest([]))
    assert "is up to date" in scons(project, installed)

    (project / "app.json").write_text(manifest([{"name": "disk", "type": "BLOCK_BASIC"}]))
    out = scons(project, installed)
    assert "gen-manifest" in out
    assert "-o app.spt" in out and "-o app.hvt" in out, out
    assert "main.c" not in out, "an unchanged source was recompiled:\n" + out
    for target in ("spt", "hvt"):
        got = run(["solo5-elftool", "query-manifest", f"app.{target}"], project,
                  user_env(installed)).stdout
        assert '{ "name": "disk", "type": "BLOCK_BASIC" }' in got, got
    assert "is up to date" in scons(project, installed)


def test_unknown_target_is_a_clear_error(installed: Path, project: Path) -> None:
    (project / "SConstruct").write_text(
        SCONSTRUCT.format(prefix=str(installed), targets=["spt", "nosuch"])
    )
    out = scons(project, installed, status=2)
    assert "target 'nosuch' has no bindings in" in out, out


def test_wrong_prefix_is_a_clear_error(tmp_path: Path, installed: Path) -> None:
    work = tmp_path / "p"
    work.mkdir()
    toolpath = str(installed / "share" / "solo5" / "scons")
    (work / "SConstruct").write_text(
        f'env = Environment(tools=["default", "solo5"], toolpath=[{toolpath!r}],\n'
        '                  SOLO5_PREFIX="/nonexistent")\n'
    )
    out = scons(work, installed, status=2)
    assert "/nonexistent (SOLO5_PREFIX) is not an installed Solo5 prefix" in out, out
