"""One version everywhere (toolchain/version.py), and man pages made from the
tools' own help text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from solo5_toolchain import manpage, targets
from solo5_toolchain.version import VERSION, VERSION_DESCRIPTION

from .conftest import TRIPLE, run, user_env

# Every architecture's wrappers (those whose compiler is installed are in
# the prefix).
WRAPPERS = {f"{a.triple}-{t}" for a in targets.ARCHES.values() for t in ("cc", "ld", "objcopy")}
# Tender (without "solo5-") -> the target whose unikernels it runs.
TENDER_TARGETS = {"hvt": "hvt", "hvt-debug": "hvt", "spt": "spt"}


def installed_tools(prefix: Path) -> list[str]:
    return sorted(p.name for p in (prefix / "bin").iterdir())


def test_every_solo5_tool_reports_the_one_version(installed: Path, tmp_path: Path) -> None:
    for tool in installed_tools(installed):
        proc = run([tool, "--version"], tmp_path, user_env(installed), status=None)
        if tool in WRAPPERS:
            # Pass-through, as upstream (ref §5.4): the host tool answers;
            # OCaml's configure relies on `cc --version` being the compiler's.
            assert proc.returncode == 0, f"{tool} --version: {proc.stderr}"
            continue
        lines = (proc.stdout or proc.stderr).splitlines()
        first = lines[0] if lines else ""
        # The project's version and the upstream interfaces it implements.
        assert proc.returncode == 0 and first.endswith(f" version {VERSION_DESCRIPTION}"), (
            f"{tool} --version: exit status {proc.returncode}, first line {first!r}"
        )
        if tool.startswith("solo5-") and tool.removeprefix("solo5-") in TENDER_TARGETS:
            # Upstream's second line, with the ABI version the tender runs.
            abi = targets.TARGETS[TENDER_TARGETS[tool.removeprefix("solo5-")]].abi_version
            assert lines[1:] == [f"ABI version {abi}"], f"{tool} --version: {lines!r}"


def test_pkg_config_files_carry_the_version(installed: Path) -> None:
    for pc in (installed / "lib" / "pkgconfig").iterdir():
        assert f"\nVersion: {VERSION}\n" in pc.read_text(), pc


def man_pages(prefix: Path) -> dict[str, Path]:
    pages = {"solo5-spt": "tender", "solo5-elftool": "elftool", f"{TRIPLE}-cc": "wrapper",
             "solo5-oci": "oci"}
    for tender in ("solo5-hvt", "solo5-hvt-debug"):
        if (prefix / "bin" / tender).exists():
            pages[tender] = "tender"
    return {name: prefix / "share" / "man" / "man1" / f"{name}.1" for name in pages}


def help_text(prefix: Path, name: str) -> str:
    binary = prefix / "bin" / name
    if name in WRAPPERS:
        return manpage.wrapper_help(binary.read_text())
    proc = subprocess.run([binary, "--help"], capture_output=True, text=True, check=False,
                          env=user_env(prefix))
    return proc.stdout


def test_man_pages_hold_the_help_text(installed: Path) -> None:
    for name, page in man_pages(installed).items():
        assert page.is_file(), f"no man page for {name}"
        text = page.read_text()
        assert f'.TH {name.upper()} 1 "" "Solo5 {VERSION}"' in text, f"{page}: .TH"
        want = help_text(installed, name)
        assert "\n" in want.strip() or name in WRAPPERS, f"{name} --help printed {want!r}"
        assert manpage.verbatim(want) in text, f"{page} lacks `{name} --help` verbatim"


def test_every_installed_tender_has_a_man_page(installed: Path) -> None:
    # The tenders are the compiled programs in bin/ (the other tools are scripts).
    tenders = [p.name for p in (installed / "bin").iterdir()
               if p.read_bytes()[:4] == b"\x7fELF"]
    assert "solo5-spt" in tenders, tenders
    assert set(tenders) <= set(man_pages(installed)), f"pages: {sorted(man_pages(installed))}"


def test_man_pages_document_the_debug_options(installed: Path) -> None:
    # Through --help (verbatim above); named here so that losing a module fails.
    pages = man_pages(installed)
    spt = pages["solo5-spt"].read_text()
    assert "\\-\\-dumpcore=DIR" in spt, "solo5-spt(1) lacks --dumpcore"
    if "solo5-hvt-debug" in pages:
        debug = pages["solo5-hvt-debug"].read_text()
        for option in ("\\-\\-gdb", "\\-\\-gdb\\-port=", "\\-\\-dumpcore=DIR"):
            assert option in debug, f"solo5-hvt-debug(1) lacks {option}"
        assert "solo5\\-hvt\\-debug (1)" in pages["solo5-hvt"].read_text()


@pytest.mark.skipif(not shutil.which("groff"), reason="groff is not installed")
def test_man_pages_render_without_warnings(installed: Path) -> None:
    for page in man_pages(installed).values():
        proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0 and not proc.stderr, f"{page}:\n{proc.stderr}"


def test_escape_protects_roff_control_characters() -> None:
    assert manpage.escape(".TH x\n'quote\na\\b --opt") == "\\&.TH x\n\\&'quote\na\\eb \\-\\-opt"
