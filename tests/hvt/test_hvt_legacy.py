"""Upstream-style hvt guests on our solo5-hvt: the feature bits offered, ignored.

docs/compatibility.md promises that unikernels built by upstream Solo5's
toolchain run unchanged on our solo5-hvt.  Those ignore
hvt_boot_info.host_features: they stay at CPL0 whatever
HVT_FEATURE_USER_MODE says and never turn on the I/O rings that
HVT_FEATURE_IO_RINGS offers, so the tender must serve net and block through
hypercalls and POLL through its plain epoll path while its I/O thread and
ring area exist.  build/tests/unit/solo5_hvt_legacy.o is our hvt bindings
with tests/hvt/hvt_features_none.c in place of bindings/hvt/hvt_features.c
(a guest that uses no feature bit); build/tests/legacy/<guest>.hvt are test
guests linked against it (tests/guests/SConscript).  They run here on the
real build/stage/bin/solo5-hvt, next to a control with our ordinary guest
that shows the bits were offered.  (test_hvt_cpl0.py is the other direction:
our guests on a tender without the bits.)  CPL0 guest code is emulated on
kvm-pvm: the cases are small.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from devices.helpers import MIB, check_success, need_netns, zero_file
from devices.test_block import expected_test_blk
from devices.test_net import check_no_loss, serve_and_ping
from support.guest import GuestRun, guest_path, run
from support.netns import Tap, netns_with_taps
from support.paths import BUILD, GUESTS

from .hvt_env import HVT, requires_hvt
from .test_hvt_guests import BANNER, PF_USER, check_page_fault

pytestmark = requires_hvt

LEGACY_GUESTS = GUESTS / "legacy"
LEGACY_BINDINGS = GUESTS / "unit" / "solo5_hvt_legacy.o"
BINDINGS = BUILD / "stage" / "lib" / "x86_64-solo5-none-static" / "solo5_hvt.o"
# What our bindings log (at debug level) once they have turned the rings on.
RINGS_IN_USE = "Solo5: hvt: I/O rings in use"
PINGS = 200  # not a flood: every reply runs emulated CPL0 code


def legacy_path(guest: str) -> Path:
    path = LEGACY_GUESTS / f"{guest}.hvt"
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
    return path


def hvt_argv(kernel: Path, *args: str, devices: tuple[str, ...] = ()) -> list[str]:
    assert HVT.is_file(), f"{HVT} is not built: run `scons -Q -j2`"
    return [str(HVT), "--mem=2", *devices, "--", str(kernel), *args]


def legacy(guest: str, *args: str, devices: tuple[str, ...] = ()) -> GuestRun:
    return run(hvt_argv(legacy_path(guest), *args, devices=devices))


def ours(guest: str, *args: str, devices: tuple[str, ...] = ()) -> GuestRun:
    return run(hvt_argv(guest_path(guest, "hvt"), *args, devices=devices))


def global_symbols(path: Path) -> set[tuple[str, str]]:
    assert path.is_file(), f"{path} is not built: run `scons -Q -j2`"
    out = subprocess.run(["nm", "-P", str(path)], check=True, capture_output=True, text=True).stdout
    fields = [line.split() for line in out.splitlines() if line.strip()]
    return {(f[0], f[1]) for f in fields if f[1].isupper()}


def test_legacy_bindings_keep_the_link_contract() -> None:
    """Localized like solo5_hvt.o: the same global (and undefined) symbols,
    so the legacy guests link exactly as ours (tests/bindings/test_symbols.py)."""
    assert global_symbols(LEGACY_BINDINGS) == global_symbols(BINDINGS)


def test_hello() -> None:
    result = legacy("test_hello", "--solo5:debug", "Hello_Solo5")
    assert result.status == 0, result.describe()
    assert BANNER.format("test_hello") in result.stdout
    assert "Hello, World\nCommand line is: 'Hello_Solo5'\nSUCCESS\n" in result.stdout
    assert RINGS_IN_USE not in result.stdout, result.describe()
    assert result.stderr == "", result.describe()


def test_time() -> None:
    """The clocks and solo5_yield() (POLL) at CPL0."""
    result = legacy("test_time")
    check_success(result)
    assert result.stderr == "", result.describe()


def test_exception_is_a_supervisor_page_fault() -> None:
    """The trap line's error code has no U bit: the guest faulted at CPL0,
    although solo5-hvt offered user mode (our own guest takes the same fault
    at CPL3, the control)."""
    check_page_fault(ours("test_exception"), "test_exception", 0x2 | PF_USER, 0x400000000)
    check_page_fault(legacy("test_exception"), "test_exception", 0x2, 0x400000000)


def test_block_through_hypercalls(tmp_path: Path) -> None:
    """test_blk's write/read/verify with the rings offered but never turned
    on; the file holds what the guest wrote."""
    control = zero_file(tmp_path / "control.img", 4 * MIB)
    result = ours("test_blk", "--solo5:debug", devices=(f"--block:storage={control}",))
    check_success(result)
    assert RINGS_IN_USE in result.stdout, "control: solo5-hvt did not offer the rings"

    image = zero_file(tmp_path / "storage.img", 4 * MIB)
    result = legacy("test_blk", "--solo5:debug", devices=(f"--block:storage={image}",))
    check_success(result)
    assert RINGS_IN_USE not in result.stdout, result.describe()
    assert "capacity 4194304 bytes, block size 512\n" in result.stdout, result.describe()
    m = re.search(r"multi-block: \d+ blocks at block 1, (\d+) blocks at the end", result.stdout)
    assert m, result.describe()
    data = image.read_bytes()
    assert len(data) == 4 * MIB, "the device file changed size"
    for b, want in enumerate(expected_test_blk(4 * MIB // 512, 512, int(m.group(1)))):
        assert data[b * 512 : (b + 1) * 512] == want, f"block {b}"


def test_net_through_hypercalls(tmp_path: Path) -> None:
    """The ARP/ICMP responder answers every ping with frames through
    NET_READ/NET_WRITE and waits in POLL, in a namespace of its own."""
    need_netns()
    net = ("--net:service0=tap100",)
    with netns_with_taps([Tap("tap100", "10.0.0.1/24")]) as ns:
        # Control: our own guest turns the rings on with this tender and tap
        # (before it parses its command line, which then fails).
        control = run(
            ns.command(
                hvt_argv(
                    guest_path("test_net", "hvt"), "--solo5:debug", "bad-argument", devices=net
                )
            )
        )
        assert control.status == 1, control.describe()
        assert RINGS_IN_USE in control.stdout, "control: solo5-hvt did not offer the rings"

        argv = hvt_argv(legacy_path("test_net"), "--solo5:debug", f"limit={PINGS}", devices=net)
        result, pings = serve_and_ping(argv, ns, ["10.0.0.2"], PINGS, "serving", tmp_path)
    check_success(result)
    assert RINGS_IN_USE not in result.stdout, result.describe()
    assert f"echo replies sent: {PINGS}\n" in result.stdout, result.describe()
    check_no_loss(pings[0], PINGS)
