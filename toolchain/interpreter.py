"""The Python an installed prefix runs its tools with, and their bytecode.

The Python launchers in <prefix>/bin (templates/toolchain/_python_launcher.j2)
run one interpreter, named by its absolute path when the prefix is built
(`scons PYTHON=...`), rather than whatever `python3` PATH finds first; and
<prefix>/lib/solo5/python holds the bytecode that interpreter compiled, so a
tool starts without compiling anything (docs/performance.md, "Toolchain").

The bytecode is hash-checked (PEP 552): it stays valid when the prefix is
copied or packaged (a .deb clamps file times), and a source edited in place
is recompiled rather than ignored.

Used by the build only; the installed tools never import this module.
"""

from __future__ import annotations

import os
import subprocess
import sys

MIN_VERSION = (3, 11)

# Run by the chosen interpreter: its cache tag, or why it cannot run the
# tools (argv[1:3]: the oldest version they run on).
_PROBE = """
import sys
oldest = tuple(map(int, sys.argv[1:3]))
if sys.version_info < oldest:
    sys.exit("is Python %d.%d, the tools need %d.%d or newer" % (*sys.version_info[:2], *oldest))
if sys.implementation.cache_tag is None:
    sys.exit("cannot load bytecode (sys.implementation.cache_tag is None)")
print(sys.implementation.cache_tag)
"""

# Run by the chosen interpreter: compile argv[1::3] into argv[2::3] with the
# names of argv[3::3] in tracebacks.
_COMPILE = """
import py_compile, sys
args = sys.argv[1:]
for source, target, shown in zip(args[0::3], args[1::3], args[2::3]):
    py_compile.compile(source, target, shown, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
"""


class InterpreterError(Exception):
    """A PYTHON that cannot run the installed tools; the message says why."""


def default() -> str:
    """The interpreter running this build, outside any virtual environment:
    an installed prefix must not depend on a checkout's .venv."""
    if sys.prefix != sys.base_prefix:
        base: str = getattr(sys, "_base_executable", "") or os.path.join(
            sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}"
        )
        return base
    return sys.executable


def cache_tag(python: str, oldest: tuple[int, int] = MIN_VERSION) -> str:
    """The bytecode cache tag of `python` (e.g. cpython-311), once checked
    that the launchers can run it (it is `oldest` or newer)."""
    where = f"PYTHON={python}"
    if not os.path.isabs(python):
        raise InterpreterError(f"{where}: not an absolute path")
    if any(c in python for c in "'\n\\"):
        raise InterpreterError(f"{where}: the path may not hold quotes, backslashes or newlines")
    try:
        proc = subprocess.run([python, "-I", "-S", "-c", _PROBE, *map(str, oldest)],
                              capture_output=True, text=True, timeout=60, check=False)
    except OSError as error:
        raise InterpreterError(f"{where}: cannot run it: {error.strerror or error}") from None
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise InterpreterError(f"{where}: {why}")
    return proc.stdout.strip()


def bytecode_path(source: str, tag: str) -> str:
    """Where an interpreter of cache tag `tag` looks for the bytecode of `source`."""
    directory, name = os.path.split(source)
    return os.path.join(directory, "__pycache__", f"{name.removesuffix('.py')}.{tag}.pyc")


def compile_bytecode(python: str, files: list[tuple[str, str, str]]) -> None:
    """Compile each (source, bytecode file, name shown in tracebacks) with `python`."""
    args = [part for triple in files for part in triple]
    proc = subprocess.run([python, "-I", "-S", "-c", _COMPILE, *args], capture_output=True,
                          text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise InterpreterError(f"PYTHON={python}: compiling failed:\n{proc.stderr}")
