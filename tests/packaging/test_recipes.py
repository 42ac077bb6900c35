"""Packaging recipes: debian/ (a .deb that installs a working prefix), the
opam file and the Python wheel, all carrying toolchain/version.py's VERSION."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.source_tree import source_tree

from solo5_toolchain import packaging
from solo5_toolchain.version import VERSION, VERSION_DESCRIPTION

from .conftest import TOP, check_hello, run, skip_unless_runnable, user_env

HELLO = TOP / "examples" / "hello"
SYSTEM_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": "/nonexistent"}


# --- debian/ ---

def test_debian_folder_is_the_rendering_of_its_templates(tmp_path: Path) -> None:
    fresh = tmp_path / "debian"
    packaging.render_recipe("debian", fresh)
    want = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    have = sorted(p.relative_to(TOP / "debian") for p in (TOP / "debian").rglob("*")
                  if p.is_file())
    assert have == want, "debian/ has other files than templates/packaging/debian"
    stale = [str(r) for r in want if (fresh / r).read_bytes() != (TOP / "debian" / r).read_bytes()]
    assert not stale, (
        f"debian/ is stale ({stale}): run `python -m solo5_toolchain.packaging debian debian`"
    )
    assert (TOP / "debian" / "changelog").read_text().startswith(f"solo5 ({VERSION}) ")


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """solo5_<VERSION>_amd64.deb from dpkg-buildpackage in a copy of the tree,
    with the Debian packages of Build-Depends only (no virtualenv)."""
    for tool in ("dpkg-buildpackage", "dh"):
        if not shutil.which(tool, path=SYSTEM_ENV["PATH"]):
            pytest.fail(f"{tool} is not installed: apt-get install devscripts debhelper "
                        "build-essential (scripts/ensure-env.sh does)")
    work = tmp_path_factory.mktemp("deb")
    src = source_tree(work / f"solo5-{VERSION}")
    proc = subprocess.run(
        ["dpkg-buildpackage", "-us", "-uc", "-b"],
        cwd=src, env={**SYSTEM_ENV, "DEB_BUILD_OPTIONS": "parallel=2 nocheck"},
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, f"dpkg-buildpackage failed:\n{proc.stdout[-6000:]}{proc.stderr}"
    found = work / f"solo5_{VERSION}_amd64.deb"
    assert found.is_file(), f"no {found.name} in {sorted(p.name for p in work.iterdir())}"
    return found


@pytest.fixture(scope="module")
def deb_root(deb: Path) -> Path:
    root = deb.parent / "root"
    run(["dpkg-deb", "-x", deb, root], deb.parent, SYSTEM_ENV)
    return root


def test_deb_installs_the_layout(deb: Path, deb_root: Path) -> None:
    info = run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"], deb.parent,
               SYSTEM_ENV).stdout
    assert f"Version: {VERSION}" in info, info
    # The tenders write their seccomp filters themselves: of host libraries
    # they need libc alone (dh_shlibdeps' libc6), besides the control
    # file's own python3, gcc and binutils.
    depends = re.search(r"^Depends: (.*)$", info, re.M)
    assert depends, info
    names = {re.split(r"[ (]", d.strip())[0] for d in depends.group(1).split(",")}
    assert names == {"libc6", "python3", "gcc", "binutils"}, info
    usr = deb_root / "usr"
    for rel in ("bin/solo5-spt", "bin/solo5-elftool", "bin/x86_64-solo5-none-static-cc",
                "include/solo5/solo5.h", "lib/x86_64-solo5-none-static/solo5_spt.o",
                "lib/pkgconfig/solo5-bindings-spt.pc", "share/solo5/scons/solo5.py",
                "share/man/man1/solo5-spt.1.gz"):
        assert (usr / rel).is_file(), f"/usr/{rel} is not in the .deb"
    # The Python tools run Debian's python3 from the bytecode it compiled,
    # and need nothing but the standard library.
    assert "    exec '/usr/bin/python3' -I -S -B" in (usr / "bin" / "solo5-elftool").read_text()
    package = usr / "lib" / "solo5" / "python" / "solo5_toolchain"
    tag = subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    for source in package.glob("*.py"):
        assert (package / "__pycache__" / f"{source.stem}.{tag}.pyc").is_file(), source.name
    assert not (usr / "lib" / "solo5" / "python" / "elftools").exists()
    assert "python3 (>= 3.11)" in info, info
    # The bindings are shipped as built, not stripped as if they were host code.
    symbols = run(["nm", usr / "lib/x86_64-solo5-none-static/solo5_spt.o"], deb.parent,
                  SYSTEM_ENV).stdout
    assert " U solo5_app_main" in symbols and " T solo5_console_write" in symbols
    # Only the build machine's architecture, even where a cross compiler is
    # installed (as here, for tests/aarch64): the package depends on none.
    triples = sorted(p.name for p in (usr / "lib").glob("*-solo5-none-static"))
    assert triples == ["x86_64-solo5-none-static"], triples
    assert not list((usr / "bin").glob("aarch64-*")), "the .deb ships aarch64 wrappers"


@pytest.mark.parametrize("target", ["spt", "hvt"])
def test_deb_tools_build_and_run_a_unikernel(deb_root: Path, tmp_path: Path, target: str) -> None:
    usr = deb_root / "usr"
    skip_unless_runnable(usr, target)
    work = tmp_path / "hello"
    shutil.copytree(HELLO, work)
    env = user_env(usr)
    run(["make", f"TARGETS={target}"], work, env)
    assert (usr / "bin" / "solo5-elftool").samefile(
        shutil.which("solo5-elftool", path=env["PATH"]) or "")
    proc = run([usr / "bin" / f"solo5-{target}", "--mem=2", f"hello.{target}", "from", "deb"],
               work, env, status=None, timeout=60)
    check_hello(proc, "from deb")


# --- opam ---

def opam_commands(text: str, field: str) -> list[list[str]]:
    """The commands of `field: [ [..] ... ]` in an opam file (our simple form)."""
    block = re.search(rf"^{field}: \[\n(.*?)^\]", text, re.M | re.S)
    assert block, f"no {field}: in the opam file"
    return [re.findall(r'"([^"]*)"', line) for line in block.group(1).splitlines()
            if line.strip().startswith("[")]


def test_opam_file_builds_and_installs(tmp_path: Path) -> None:
    opam = packaging.render_recipe("opam", tmp_path / "opam")[0]
    text = opam.read_text()
    assert f'\nversion: "{VERSION}"\n' in text and '\nname: "solo5"\n' in text
    for old in ("hvt", "spt", "virtio", "muen", "genode", "xen"):
        assert f'"solo5-bindings-{old}"' in text  # conflicts with the old packages
    # Of other opam packages the build needs pkg-config alone (no
    # conf-libseccomp: the tenders compile their filters themselves).
    depends = re.search(r"^depends: \[\n(.*?)^\]", text, re.M | re.S)
    assert depends and re.findall(r'"([^"]+)"', depends.group(1)) == ["conf-pkg-config"], text
    prefix = tmp_path / "opam-prefix"
    scons = shutil.which("scons")
    assert scons, "scons is not on PATH: source scripts/ensure-env.sh first"
    for field in ("build", "install"):
        for command in opam_commands(text, field):
            argv = [c.replace("%{jobs}%", "2").replace("%{prefix}%", str(prefix))
                    for c in command]
            assert argv[0] == "scons", argv
            run([scons, *argv[1:]], TOP, {"PATH": f"{Path(scons).parent}:/usr/bin:/bin"},
                timeout=600)
    version = run(["solo5-elftool", "--version"], tmp_path, user_env(prefix)).stdout
    assert version.strip() == f"solo5-elftool version {VERSION_DESCRIPTION}"
    assert (prefix / "lib" / "pkgconfig" / "solo5-bindings-hvt.pc").is_file()


# --- wheel ---

@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    src = source_tree(out / "src")  # pip writes build/ and *.egg-info into the source
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(out / "dist"), str(src)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout}{proc.stderr}"
    found = list((out / "dist").glob(f"solo5-{VERSION}-py3-none-any.whl"))
    assert found, f"no solo5-{VERSION} wheel in {sorted(p.name for p in (out / 'dist').iterdir())}"
    return found[0]


def test_wheel_console_scripts_work_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path, SYSTEM_ENV)
    # Only the wheels pip wheel made (ours and its dependencies): no index.
    run([venv / "bin" / "pip", "install", "-q", "--no-index", "--find-links", wheel.parent,
         "solo5"], tmp_path, SYSTEM_ENV)
    # pip compiled the package's bytecode at install (its default): the
    # console script starts from it.
    package = next(venv.glob("lib/python3*/site-packages/solo5_toolchain"))
    for source in package.glob("*.py"):
        assert list((package / "__pycache__").glob(f"{source.stem}.*.pyc")), source.name
    env = {**SYSTEM_ENV, "PATH": f"{venv}/bin:/usr/bin:/bin"}
    assert run(["solo5-elftool", "--version"], tmp_path, env).stdout == (
        f"solo5-elftool version {VERSION_DESCRIPTION}\n")
    (tmp_path / "m.json").write_text(
        '{"type": "solo5.manifest", "version": 1, "devices": []}')
    c = run(["solo5-elftool", "gen-manifest", "m.json", "-"], tmp_path, env).stdout
    assert "MFT1_NOTE_DECLARE_BEGIN" in c
    guest = TOP / "build" / "tests" / "test_hello" / "test_hello.spt"
    if guest.exists():
        abi = run(["solo5-elftool", "query-abi", guest], tmp_path, env).stdout
        assert '"target": "spt"' in abi
