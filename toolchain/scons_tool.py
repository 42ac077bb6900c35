"""The Solo5 SCons tool: build unikernels with SCons against an installed Solo5.

Installed as <prefix>/share/solo5/scons/solo5.py; a project loads it with

    env = Environment(tools=["default", "solo5"], toolpath=["<prefix>/share/solo5/scons"])

(or `env.Tool("solo5", toolpath=[...])`) and builds one unikernel per target:

    env.Solo5Unikernel("hello", ["hello.c"], manifest="manifest.json",
                       targets=["spt", "hvt"])          # -> hello.spt, hello.hvt

The prefix is the one the tool is installed in, or $SOLO5_PREFIX if set.  The
tool needs nothing but SCons: it compiles and links with the prefix's
<triple>-cc wrapper and generates the manifest with its solo5-elftool, so the
project always builds with the Solo5 it loaded the tool from.  The manifest is a
source like any other: changing it regenerates manifest.c and relinks every
target, an unchanged one leaves everything up to date.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import SCons.Errors

TRIPLE = "x86_64-solo5-none-static"
# This file's place in an installed prefix: <prefix>/share/solo5/scons/solo5.py.
_DEPTH = 3


def _installed_prefix() -> str:
    here = os.path.dirname(os.path.realpath(__file__))
    for _ in range(_DEPTH):
        here = os.path.dirname(here)
    return here


def _is_prefix(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "lib", TRIPLE)) and os.path.isfile(
        os.path.join(path, "bin", f"{TRIPLE}-cc")
    )


def find_prefix(env: Any) -> str:
    """$SOLO5_PREFIX if set, else the prefix this file is installed in."""
    given = env.get("SOLO5_PREFIX")
    prefix = env.subst(str(given)) if given else _installed_prefix()
    if not _is_prefix(prefix):
        where = "SOLO5_PREFIX" if given else "the prefix of " + os.path.realpath(__file__)
        raise SCons.Errors.UserError(
            f"solo5 tool: {prefix} ({where}) is not an installed Solo5 prefix: "
            f"no bin/{TRIPLE}-cc or lib/{TRIPLE}; set SOLO5_PREFIX to the prefix "
            "given to `scons install PREFIX=`"
        )
    return prefix


def available_targets(prefix: str) -> list[str]:
    """The targets whose bindings are installed in `prefix`, sorted."""
    lib = os.path.join(prefix, "lib", TRIPLE)
    names = []
    for entry in os.listdir(lib):
        if entry.startswith("solo5_") and entry.endswith(".o"):
            name = entry[len("solo5_") : -len(".o")]
            if os.path.isfile(os.path.join(lib, f"solo5_{name}.lds")):
                names.append(name)
    return sorted(names)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def solo5_unikernel(
    env: Any,
    name: str,
    sources: Any,
    manifest: Any,
    targets: Any = None,
    **overrides: Any,
) -> list[Any]:
    """Build `name`.<target> for each of `targets` from C `sources` and `manifest`.

    `targets` defaults to $SOLO5_DEFAULT_TARGETS; `overrides` are construction
    variables for this unikernel only (CCFLAGS, CPPDEFINES, LIBS, ...).
    Returns the unikernel nodes, in the order of `targets`.
    """
    wanted = [str(t) for t in _as_list(targets if targets is not None
                                        else env["SOLO5_DEFAULT_TARGETS"])]
    if not wanted:
        raise SCons.Errors.UserError(f"Solo5Unikernel({name!r}): no targets given")
    known = env["SOLO5_TARGETS"]
    for target in wanted:
        if target not in known:
            raise SCons.Errors.UserError(
                f"Solo5Unikernel({name!r}): target '{target}' has no bindings in "
                f"{env['SOLO5_PREFIX']} (installed: {', '.join(known)})"
            )
    if manifest is None:
        raise SCons.Errors.UserError(f"Solo5Unikernel({name!r}): a manifest is required")

    uenv = env.Clone(CC="$SOLO5_CC", LINK="$SOLO5_CC", **overrides)
    objects = [uenv.Object(src) for src in uenv.Flatten(_as_list(sources))]
    manifest_c = uenv.Command(
        f"{name}.manifest.c",
        manifest,
        "$SOLO5_ELFTOOL gen-manifest $SOURCE $TARGET",
    )
    uenv.Depends(manifest_c, "$SOLO5_ELFTOOL")
    objects.append(uenv.Object(manifest_c))

    lib = os.path.join(env["SOLO5_PREFIX"], "lib", TRIPLE)
    kernels = []
    for target in wanted:
        kernel = uenv.Program(
            f"{name}.{target}",
            objects,
            PROGSUFFIX="",
            LINKFLAGS=["$LINKFLAGS", "-z", f"solo5-abi={target}"],
        )
        # The wrapper picks these by name: relink when Solo5 is reinstalled.
        uenv.Depends(
            kernel,
            [
                "$SOLO5_CC",
                os.path.join(lib, f"solo5_{target}.o"),
                os.path.join(lib, f"solo5_{target}.lds"),
            ],
        )
        kernels += kernel
    return kernels


def generate(env: Any) -> None:
    """Called by env.Tool("solo5"): set the SOLO5_* variables, add Solo5Unikernel."""
    prefix = find_prefix(env)
    bindir = os.path.join(prefix, "bin")
    env["SOLO5_PREFIX"] = prefix
    env["SOLO5_TRIPLE"] = TRIPLE
    env["SOLO5_CC"] = os.path.join(bindir, f"{TRIPLE}-cc")
    env["SOLO5_LD"] = os.path.join(bindir, f"{TRIPLE}-ld")
    env["SOLO5_OBJCOPY"] = os.path.join(bindir, f"{TRIPLE}-objcopy")
    env["SOLO5_ELFTOOL"] = os.path.join(bindir, "solo5-elftool")
    env["SOLO5_TARGETS"] = available_targets(prefix)
    env.SetDefault(SOLO5_DEFAULT_TARGETS=[t for t in ("spt", "hvt") if t in env["SOLO5_TARGETS"]])
    env.AddMethod(solo5_unikernel, "Solo5Unikernel")


def exists(env: Any) -> bool:
    try:
        find_prefix(env)
    except SCons.Errors.UserError:
        return False
    return True
