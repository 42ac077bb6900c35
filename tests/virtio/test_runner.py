"""solo5-virtio-run itself: status mapping, command line, errors (ref §6.3
virtio rows; docs/targets.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from virtio_support import guest, virtio_run

from solo5_toolchain import targets, virtio


@pytest.mark.parametrize("status", [0, 1, 2, 7, 83, 125])
def test_status_round_trip(status: int) -> None:
    assert virtio.decode_status(virtio.encode_status(status)) == (status, None)


@pytest.mark.parametrize("status", [126, 200, 255, -1])
def test_statuses_beyond_the_range_become_abort(status: int) -> None:
    assert virtio.encode_status(status) == 255
    assert virtio.decode_status(255) == (255, None)


def test_qemu_failures_are_told_apart() -> None:
    assert virtio.decode_status(1)[0] == 1
    assert virtio.decode_status(1)[1] is not None
    status, note = virtio.decode_status(0)
    assert status == 255 and note is not None and "without an exit status" in note


def test_help() -> None:
    result = virtio_run(["--help"])
    assert result.status == 0
    for option in ("-n TAP", "-d DISK", "-m MB", "--accel"):
        assert option in result.stdout


def test_missing_unikernel(tmp_path: Path) -> None:
    result = virtio_run([tmp_path / "nope.virtio"])
    assert result.status == 1
    assert result.stderr == f"solo5-virtio-run: error: {tmp_path}/nope.virtio: no such file\n"


def test_wrong_target() -> None:
    spt = guest("test_hello").with_suffix(".spt")
    result = virtio_run([spt])
    assert result.status == 1
    assert "Executable is not for the virtio target (it is for spt)" in result.stderr


def test_missing_tap_and_disk(tmp_path: Path) -> None:
    result = virtio_run(["-n", "solo5nosuch0", guest("test_hello")])
    assert (result.status, result.stderr) == (
        1, "solo5-virtio-run: error: -n solo5nosuch0: no such network interface\n")
    result = virtio_run(["-d", tmp_path / "none.img", guest("test_hello")])
    assert result.status == 1 and "no such file" in result.stderr


def test_bad_option() -> None:
    result = virtio_run(["--bogus", guest("test_hello")])
    assert result.status == 1
    assert result.stderr.startswith("solo5-virtio-run: error: unrecognized arguments")


def test_prints_the_command_and_the_accel_note() -> None:
    result = virtio_run([guest("test_hello"), "Hello_Solo5"])
    assert result.status == 0, result.describe()
    lines = result.stderr.splitlines()
    command = [line for line in lines if line.startswith("solo5-virtio-run: running: ")]
    assert len(command) == 1
    assert "-kernel " in command[0] and "-append Hello_Solo5" in command[0]
    port = f"iobase=0x{targets.VIRTIO_DEBUG_EXIT_PORT:x}"
    assert port in command[0]
    if virtio.KVM_PVM_MODULE.exists():
        assert "solo5-virtio-run: note: /dev/kvm is kvm-pvm" in lines[0]
        assert "-accel tcg" in command[0]


def test_quiet_option_hides_the_command() -> None:
    result = virtio_run(["-q", guest("test_hello"), "Hello_Solo5"])
    assert result.status == 0
    assert "running:" not in result.stderr


def test_explicit_kvm_is_honoured() -> None:
    """-a kvm is honoured (no fallback to TCG, no fallback note).  Whether the
    guest then succeeds depends on this KVM: kvm-pvm emulates guest CPL0 code
    without SSE, and test_hello may or may not reach an SSE instruction
    (one kvm-pvm build ran it to SUCCESS, another did not)."""
    if not virtio.KVM_PVM_MODULE.exists():
        pytest.skip("only meaningful on kvm-pvm (docs/kvm-pvm.md)")
    result = virtio_run(["-a", "kvm", guest("test_hello"), "Hello_Solo5"])
    assert "-accel kvm -cpu host" in result.stderr
    assert "-accel tcg" not in result.stderr
    assert "note: /dev/kvm is kvm-pvm" not in result.stderr
    if result.status == 0:
        assert "SUCCESS" in result.stdout, result.describe()
