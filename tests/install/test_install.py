"""`scons install` gives the upstream layout (ref §5.3), and that prefix alone
builds and runs a unikernel the documented way (ref §5.5).

The build of the sample app runs outside the checkout with PATH limited to
<prefix>/bin:/usr/bin:/bin and no virtualenv or PYTHONPATH, as a user who
installed Solo5 would run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent.parent
APP = Path(__file__).resolve().parent / "app"
TRIPLE = "x86_64-solo5-none-static"
TIMEOUT = 600

STAGE = TOP / "build" / "stage"

# Always installed (ref §5.3); the targets table adds its bindings.
TOOLCHAIN = [f"{TRIPLE}-cc", f"{TRIPLE}-ld", f"{TRIPLE}-objcopy"]
HEADERS = ["solo5.h", "elf_abi.h", "mft_abi.h", "spt_abi.h"]
REQUIRED_TARGETS = ["stub", "spt"]


def _targets() -> list[str]:
    """Targets of the table whose bindings must be installed: the required
    ones, and any other the build produced (hvt once its bindings exist)."""
    from solo5_toolchain.targets import TARGETS

    lib = STAGE / "lib" / TRIPLE
    return [t for t in TARGETS if t in REQUIRED_TARGETS or (lib / f"solo5_{t}.o").exists()]


def scons_install(*args: str) -> subprocess.CompletedProcess[str]:
    scons = shutil.which("scons")
    assert scons, "scons is not on PATH: source scripts/ensure-env.sh first"
    proc = subprocess.run(
        [scons, "-Q", "install", *args],
        cwd=TOP,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    command = " ".join(["scons install", *args])
    assert proc.returncode == 0, f"{command} failed:\n{proc.stdout}{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prefix filled by `scons install PREFIX=<it>`."""
    root = tmp_path_factory.mktemp("prefix") / "solo5"
    scons_install(f"PREFIX={root}")
    return root


@pytest.fixture(scope="module")
def destdir_prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`scons install PREFIX=/opt/... DESTDIR=<root>`: the prefix as staged under root."""
    root = tmp_path_factory.mktemp("destdir")
    target_prefix = Path("/opt/solo5-install-test-prefix")
    assert not target_prefix.exists(), f"{target_prefix} exists: remove it first"
    scons_install(f"PREFIX={target_prefix}", f"DESTDIR={root}")
    assert not target_prefix.exists(), "DESTDIR install wrote to the real PREFIX"
    return root / target_prefix.relative_to("/")


def _other_arches() -> list[tuple[str, list[str]]]:
    """(triple, targets) of every other architecture the build produced
    (aarch64 when gcc-aarch64-linux-gnu is installed)."""
    from solo5_toolchain.targets import ARCHES, DEFAULT_ARCH, targets_for

    return [
        (a.triple, list(targets_for(name)))
        for name, a in ARCHES.items()
        if name != DEFAULT_ARCH and (STAGE / "lib" / a.triple).is_dir()
    ]


def expected_files() -> list[str]:
    files = ["bin/solo5-spt", "bin/solo5-elftool"]
    files += [f"bin/{tool}" for tool in TOOLCHAIN]
    files += [f"include/solo5/{h}" for h in HEADERS]
    for target in _targets():
        files += [f"lib/{TRIPLE}/solo5_{target}.o", f"lib/{TRIPLE}/solo5_{target}.lds"]
    if "hvt" in _targets():
        files += ["include/solo5/hvt_abi.h"]
    # Other architectures: their wrappers and bindings, next to these.
    for triple, names in _other_arches():
        files += [f"bin/{triple}-{tool}" for tool in ("cc", "ld", "objcopy")]
        files += [f"include/{triple}/stddef.h"]
        for target in names:
            files += [f"lib/{triple}/solo5_{target}.o", f"lib/{triple}/solo5_{target}.lds"]
    return files


def staged_files() -> list[Path]:
    """Everything the build put in build/stage (itself an installed prefix)."""
    return sorted(p.relative_to(STAGE) for p in STAGE.rglob("*") if p.is_file())


def check_layout(root: Path) -> None:
    missing = [f for f in expected_files() if not (root / f).is_file()]
    assert not missing, f"missing under {root}: {missing}"
    # install copies the stage as it is: same files, same bytes.
    differ = [
        str(f)
        for f in staged_files()
        if not (root / f).is_file() or (root / f).read_bytes() != (STAGE / f).read_bytes()
    ]
    assert not differ, f"staged but not installed as built under {root}: {differ}"
    for f in os.listdir(root / "bin"):
        assert os.access(root / "bin" / f, os.X_OK), f"bin/{f} is not executable"
    # The compiler's private headers the wrappers' -nostdinc relies on.
    for h in ("stddef.h", "stdint.h", "stdarg.h", "stdbool.h"):
        assert (root / "include" / TRIPLE / h).is_file(), f"include/{TRIPLE}/{h} missing"
    # Not installed upstream either (ref §5.3).
    assert not (root / "include/solo5/hvt_ring.h").exists()
    # Upstream stopped installing .pc files in 0.7; we install the historical ones.
    for target in _targets():
        assert (root / f"lib/pkgconfig/solo5-bindings-{target}.pc").is_file()


def test_install_layout(prefix: Path) -> None:
    check_layout(prefix)


def test_install_layout_with_destdir(destdir_prefix: Path) -> None:
    check_layout(destdir_prefix)


def test_installed_scripts_do_not_refer_to_the_build_tree(prefix: Path) -> None:
    """Wrappers and launchers find their files from their own location only."""
    for path in sorted((prefix / "bin").iterdir()):
        data = path.read_bytes()
        if not data.startswith(b"#!"):
            continue  # a compiled tender (its debug info may name sources)
        assert str(TOP).encode() not in data, f"{path} refers to the checkout {TOP}"


def user_env(prefix: Path) -> dict[str, str]:
    """The environment of a user with only the installed Solo5 on PATH."""
    return {"PATH": f"{prefix}/bin:/usr/bin:/bin", "LC_ALL": "C"}


def sh(argv: Sequence[str | Path], cwd: Path, env: dict[str, str]) -> str:
    args = [os.fspath(a) for a in argv]
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, (
        f"$ {' '.join(args)}\nexit status {proc.returncode}\n{proc.stdout}{proc.stderr}"
    )
    return proc.stdout


def build_app(prefix: Path, work: Path) -> Path:
    """The documented recipe, step by step (ref §5.5); returns the work dir."""
    assert not work.resolve().is_relative_to(TOP), "the app must be built outside the checkout"
    work.mkdir(parents=True)
    for name in ("app.c", "manifest.json"):
        shutil.copy(APP / name, work / name)
    env = user_env(prefix)
    cc = f"{TRIPLE}-cc"
    cflags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-g"]
    sh([cc, *cflags, "-c", "app.c", "-o", "app.o"], work, env)
    sh(["solo5-elftool", "gen-manifest", "manifest.json", "manifest.c"], work, env)
    sh([cc, *cflags, "-c", "manifest.c", "-o", "manifest.o"], work, env)
    sh([cc, "-z", "solo5-abi=spt", "app.o", "manifest.o", "-o", "app.spt"], work, env)
    sh(
        [f"{TRIPLE}-ld", "-z", "solo5-abi=spt", "manifest.o", "app.o", "-o", "app_ld.spt"],
        work,
        env,
    )
    return work


@pytest.mark.parametrize("kind", ["prefix", "destdir"])
def test_build_and_run_with_installed_toolchain(
    kind: str, prefix: Path, destdir_prefix: Path, tmp_path: Path
) -> None:
    root = prefix if kind == "prefix" else destdir_prefix
    work = build_app(root, tmp_path / "myapp")
    env = user_env(root)

    abi = sh(["solo5-elftool", "query-abi", "app.spt"], work, env)
    assert abi == '{\n  "type": "solo5.abi",\n  "target": "spt",\n  "version": 2\n}\n'
    mft = sh(["solo5-elftool", "query-manifest", "app.spt"], work, env)
    assert mft == '{\n  "type": "solo5.manifest",\n  "version": 1,\n  "devices": [\n  ]\n}\n'

    for kernel in ("app.spt", "app_ld.spt"):
        proc = subprocess.run(
            ["solo5-spt", "--mem=2", kernel, "installed", "ok"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        account = f"{kernel}: exit status {proc.returncode}\n{proc.stdout}{proc.stderr}"
        assert proc.returncode == 7, account
        assert "Installed app says: 'installed ok'" in proc.stdout, account
        assert "Solo5: solo5_exit(7) called" in proc.stdout, account
        # The installed tender is the one that ran.
        assert shutil.which("solo5-spt", path=env["PATH"]) == str(root / "bin/solo5-spt")


def test_stale_python_files_are_removed_from_the_stage(tmp_path: Path) -> None:
    """What no build makes any more must not survive in the stage, and so in
    an installed prefix: pyelftools (staged here until the toolchain read
    ELF files itself), another Python's bytecode, a module since deleted."""
    python = STAGE / "lib" / "solo5" / "python"
    stale = [
        python / "elftools" / "elf" / "elffile.py",
        python / "solo5_toolchain" / "__pycache__" / "elf.cpython-39.pyc",
        python / "solo5_toolchain" / "removed_module.py",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("raise ImportError('stale')\n")
    scons_install(f"PREFIX={tmp_path / 'solo5'}")
    installed = tmp_path / "solo5" / "lib" / "solo5" / "python"
    for path in stale:
        assert not path.exists(), f"{path} is still staged"
        assert not (installed / path.relative_to(python)).exists()
    assert not (python / "elftools").exists()
    assert (installed / "solo5_toolchain" / "elf.py").is_file()
