"""docs/container.md's recipes, run as written: a user's project mounted at
/src, built three ways, run on spt (no flags) and hvt (--device /dev/kvm),
and the network example pinged inside the container's own namespace."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from support.podman import Podman

HELLO_BUILDS = {
    "make": "make",
    "pkg-config": "make -f pkg-config.mk",
    "scons": "scons -Q",
}
USER = 1000  # the tree's owner, a user the image does not know
# What each kind of run needs, and nothing more (docs/container.md).
KVM = ["--device", "/dev/kvm"]
TAP = ["--cap-add", "NET_ADMIN", "--device", "/dev/net/tun"]


def in_tree(
    podman: Podman,
    image: str,
    tree: Path,
    command: str,
    flags: Sequence[str] = (),
    status: int | None = 0,
) -> str:
    """`podman run --rm -v tree:/src [flags] image sh -c command` (/src is
    the image's working directory), with no network beyond the container's
    own namespace; stdout + stderr."""
    proc = podman.run(
        "run",
        "--rm",
        "--network=none",
        *flags,
        "-v",
        f"{tree}:/src",
        image,
        "sh",
        "-c",
        command,
        status=status,
        timeout=120,
    )
    return proc.stdout + proc.stderr


def need_kvm() -> None:
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        pytest.skip(f"cannot run hvt guests: /dev/kvm: {e.strerror}")


@pytest.mark.parametrize("way", HELLO_BUILDS)
def test_hello_builds_from_the_users_tree(
    podman: Podman, image: str, user_tree: Callable[[str], Path], way: str
) -> None:
    """As the tree's owner (`--user`, which a rootful engine needs for the
    files to stay the user's): no home directory, no root needed."""
    tree = user_tree("hello")
    for path in [tree, *tree.iterdir()]:
        os.chown(path, USER, USER)
    in_tree(podman, image, tree, HELLO_BUILDS[way], ["--user", f"{USER}:{USER}"])
    for target in ("spt", "hvt"):
        built = tree / f"hello.{target}"
        assert built.is_file(), f"{way} built no hello.{target}"
        assert built.stat().st_uid == USER, f"hello.{target} is not the user's"
    abi = in_tree(podman, image, tree, "solo5-elftool query-abi hello.hvt")
    assert '"target": "hvt"' in abi, abi


@pytest.fixture(scope="module")
def hello_tree(podman: Podman, image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/hello as the image installs it, copied out and built with make."""
    tree = tmp_path_factory.mktemp("user")
    in_tree(podman, image, tree, "cp -r /usr/local/share/solo5/examples/hello . && make -C hello")
    return tree / "hello"


def check_hello(out: str, args: str) -> None:
    assert "Hello from a Solo5 unikernel!\n" in out, out
    assert f"Command line: '{args}'\n" in out, out
    assert "Solo5: solo5_exit(0) called" in out, out


def test_hello_runs_on_spt_without_flags(podman: Podman, image: str, hello_tree: Path) -> None:
    check_hello(
        in_tree(podman, image, hello_tree, "solo5-spt hello.spt in a container"), "in a container"
    )


def test_hello_runs_on_hvt_with_kvm(podman: Podman, image: str, hello_tree: Path) -> None:
    need_kvm()
    check_hello(in_tree(podman, image, hello_tree, "solo5-hvt hello.hvt on kvm", KVM), "on kvm")


def test_hvt_without_kvm_says_so(podman: Podman, image: str, hello_tree: Path) -> None:
    out = in_tree(podman, image, hello_tree, "solo5-hvt hello.hvt", status=1)
    assert "/dev/kvm" in out, out


# The documented session: make the tap, start the unikernel, ping it. The
# unikernel exits by itself after answering 3 requests (`ping.<t> ADDR 3`).
PING_SESSION = """
set -e
cp -r /usr/local/share/solo5/examples/ping . && cd ping && make -s TARGETS={target}
solo5-tap
solo5-{target} --mem=2 --net:service0=tap0 ping.{target} 10.0.0.2 3 >unikernel.log 2>&1 &
ping -c 3 -w 30 10.0.0.2
status=0; wait $! || status=$?
cat unikernel.log; echo "unikernel status $status"
ip -o link show | sed 's/^[0-9]*: \\([^:@]*\\).*/interface \\1/'
"""


@pytest.mark.parametrize("target", ["spt", "hvt"])
def test_ping_example_answers_in_the_containers_namespace(
    podman: Podman, image: str, tmp_path: Path, target: str
) -> None:
    flags = TAP
    if target == "hvt":
        need_kvm()
        flags = TAP + KVM
    out = in_tree(podman, image, tmp_path, PING_SESSION.format(target=target), flags)
    assert re.search(r"\b3 received\b", out), out
    assert "ping: answered 3 echo requests" in out, out
    assert "unikernel status 0" in out, out
    # The only way out of the namespace would be another interface.
    interfaces = sorted(re.findall(r"^interface (\S+)$", out, re.MULTILINE))
    assert interfaces == ["lo", "tap0"], out


def test_tap_helper_needs_net_admin(podman: Podman, image: str, tmp_path: Path) -> None:
    out = in_tree(podman, image, tmp_path, "solo5-tap", ["--device", "/dev/net/tun"], status=1)
    assert out.startswith("solo5-tap: ") and "--cap-add NET_ADMIN" in out, out
    assert out.count("\n") == 1, out
    out = in_tree(podman, image, tmp_path, "solo5-tap", ["--cap-add", "NET_ADMIN"], status=1)
    assert (
        out == "solo5-tap: /dev/net/tun is missing: run the container with --device /dev/net/tun\n"
    ), out
