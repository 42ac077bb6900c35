"""The installed Python tools (solo5-elftool, solo5-virtio-run, -mkimage):
which Python runs them, the bytecode they start from, what they import.

They run as a user runs them: from a prefix (build/stage is one, or a copy
of it), whatever `python3` is first on PATH.  See docs/performance.md,
"Toolchain", for why each of these matters to their start-up time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from solo5_toolchain import interpreter

TOP = Path(__file__).resolve().parent.parent.parent
STAGE = TOP / "build" / "stage"
PACKAGE = STAGE / "lib" / "solo5" / "python" / "solo5_toolchain"
LAUNCHERS = ("solo5-elftool", "solo5-virtio-run", "solo5-virtio-mkimage")
HELLO = TOP / "build" / "tests" / "test_hello" / "test_hello.spt"
MANIFEST = '{"type": "solo5.manifest", "version": 1, "devices": []}'

# What a query may not import: each costs more than all elftool itself runs
# (pyelftools and its DWARF reader, dataclasses and its inspect, typing, json,
# re, tempfile), or has no business in it.
NOT_FOR_QUERIES = ("elftools", "dataclasses", "inspect", "typing", "json", "re", "tempfile",
                   "pathlib", "subprocess", "jinja2")
NOT_FOR_GEN_MANIFEST = ("elftools", "dataclasses", "inspect", "typing", "re", "tempfile",
                        "pathlib", "subprocess", "jinja2")


def recorded_python(launcher: Path) -> str:
    """The interpreter a launcher runs."""
    found = re.search(r"^    exec '([^']+)' -I -S -B \"\$0\" \"\$@\"$", launcher.read_text(), re.M)
    assert found, f"{launcher}: no exec line"
    return found.group(1)


def run(argv: list[str | Path], env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, input=stdin,
                          env=env, timeout=60, check=False)


def verbose_imports(prefix: Path, *args: str) -> tuple[set[str], set[str]]:
    """(modules imported, modules of ours compiled from source) when
    solo5-elftool ARGS runs as its launcher runs it, with -v."""
    launcher = prefix / "bin" / "solo5-elftool"
    proc = run([recorded_python(launcher), "-I", "-S", "-B", "-v", launcher, *args],
               stdin=MANIFEST)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = set(re.findall(r"^import '([\w.]+)'", proc.stderr, re.M))
    compiled = set(re.findall(r"^# code object from [^'\n]*/solo5_toolchain/(\w+)\.py$",
                              proc.stderr, re.M))
    return imported, compiled


@pytest.fixture
def fake_python3(tmp_path: Path) -> Path:
    """A directory whose `python3` (and `python`) is not a usable Python."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for name in ("python3", "python"):
        (bin_dir / name).write_text("#!/bin/sh\necho 'the wrong python ran' >&2\nexit 99\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


@pytest.mark.parametrize("tool", LAUNCHERS)
def test_launchers_run_an_absolute_python_outside_the_checkout(tool: str) -> None:
    python = recorded_python(STAGE / "bin" / tool)
    assert os.path.isabs(python) and os.access(python, os.X_OK), python
    # Not the checkout's .venv: an installed prefix must not depend on it.
    assert not Path(python).resolve().is_relative_to(TOP), python


def test_whatever_python3_is_on_path(fake_python3: Path, tmp_path: Path) -> None:
    env = {"PATH": f"{fake_python3}:/usr/bin:/bin", "PYTHONPATH": str(fake_python3)}
    abi = run([STAGE / "bin" / "solo5-elftool", "query-abi", HELLO], env=env)
    assert (abi.returncode, abi.stderr) == (0, ""), abi.stderr
    assert '"target": "spt"' in abi.stdout
    for tool in LAUNCHERS[1:]:
        version = run([STAGE / "bin" / tool, "--version"], env=env)
        assert version.returncode == 0 and version.stdout.startswith(tool), version.stderr


def test_every_module_has_bytecode_of_the_recorded_python() -> None:
    tag = interpreter.cache_tag(recorded_python(STAGE / "bin" / "solo5-elftool"))
    sources = sorted(p.stem for p in PACKAGE.glob("*.py"))
    compiled = sorted(p.name.removesuffix(f".{tag}.pyc")
                      for p in (PACKAGE / "__pycache__").glob(f"*.{tag}.pyc"))
    assert compiled == sources


@pytest.mark.parametrize("command", ["query-manifest", "query-abi"])
def test_queries_start_from_bytecode_and_import_little(command: str) -> None:
    imported, compiled = verbose_imports(STAGE, command, str(HELLO))
    assert "solo5_toolchain.elf" in imported
    assert compiled == set(), f"compiled from source: {compiled}"
    assert not imported & set(NOT_FOR_QUERIES), sorted(imported & set(NOT_FOR_QUERIES))
    ours = {m for m in imported if m.startswith("solo5_toolchain.")}
    assert ours <= {f"solo5_toolchain.{m}" for m in
                    ("elftool", "elf", "notes", "abi", "record", "version")}, ours


def test_gen_manifest_starts_from_bytecode_and_imports_little() -> None:
    imported, compiled = verbose_imports(STAGE, "gen-manifest", "-", "-")
    assert "solo5_toolchain.jsonpos" in imported
    assert compiled == set(), f"compiled from source: {compiled}"
    assert not imported & set(NOT_FOR_GEN_MANIFEST), sorted(imported & set(NOT_FOR_GEN_MANIFEST))


def copy_prefix(dest: Path) -> Path:
    """bin/ and lib/solo5 of the stage, as `cp -r` copies them: new file times."""
    for part in ("bin", "lib/solo5"):
        shutil.copytree(STAGE / part, dest / part, copy_function=shutil.copyfile)
    for launcher in (dest / "bin").iterdir():
        launcher.chmod(0o755)
    return dest


def test_a_copied_prefix_still_starts_from_its_bytecode(tmp_path: Path) -> None:
    """The bytecode is checked by hash, not by the sources' file times
    (which a copy, a tar or a .deb changes)."""
    prefix = copy_prefix(tmp_path / "moved")
    imported, compiled = verbose_imports(prefix, "query-manifest", str(HELLO))
    assert "solo5_toolchain.elf" in imported
    assert compiled == set(), f"compiled from source: {compiled}"
    # An edited source is compiled again rather than ignored.
    (prefix / "lib/solo5/python/solo5_toolchain/notes.py").open("a").write("# edited\n")
    _imported, compiled = verbose_imports(prefix, "query-manifest", str(HELLO))
    assert compiled == {"notes"}


@pytest.mark.parametrize("tool", LAUNCHERS)
def test_a_missing_python_is_one_clear_line(tool: str, tmp_path: Path) -> None:
    """What a user gets when the Python the prefix was built for is gone."""
    prefix = copy_prefix(tmp_path / "prefix")
    launcher = prefix / "bin" / tool
    gone = "/nonexistent/bin/python3.11"
    launcher.write_text(launcher.read_text().replace(recorded_python(launcher), gone))
    proc = run([launcher, "--help"], env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        f"{tool}: error: cannot run {gone}, the Python this Solo5 was installed for: "
        "install that Python again, or reinstall Solo5 for another "
        "(scons install PYTHON=/path/to/python3)\n"
    )


# --- scons PYTHON=...: what the build accepts ---


def test_the_default_is_the_python_running_the_build_outside_a_venv() -> None:
    python = interpreter.default()
    assert os.path.isabs(python)
    assert not Path(python).resolve().is_relative_to(TOP)
    assert interpreter.cache_tag(python).startswith("cpython-")


@pytest.mark.parametrize(
    ("python", "message"),
    [
        ("python3", "PYTHON=python3: not an absolute path"),
        ("/nonexistent/python3", "PYTHON=/nonexistent/python3: cannot run it: No such file"),
        ("/usr/bin/it's", "PYTHON=/usr/bin/it's: the path may not hold quotes"),
    ],
)
def test_unusable_pythons_are_refused(python: str, message: str) -> None:
    with pytest.raises(interpreter.InterpreterError) as info:
        interpreter.cache_tag(python)
    assert str(info.value).startswith(message)


def test_an_old_python_is_refused() -> None:
    """The probe runs in the candidate Python and checks its version."""
    python = interpreter.default()
    with pytest.raises(interpreter.InterpreterError,
                       match=rf"^PYTHON={re.escape(python)}: is Python 3\.\d+, "
                             r"the tools need 99\.0 or newer$"):
        interpreter.cache_tag(python, oldest=(99, 0))
