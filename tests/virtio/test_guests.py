"""The test unikernels that need no device, booted with solo5-virtio-run
under QEMU (ref §6.3 virtio rows).  Statuses are the unikernel's own: the
runner decodes isa-debug-exit (docs/targets.md)."""

from __future__ import annotations

import pytest
from virtio_support import guest, virtio_run

ABORT = 255


@pytest.mark.parametrize(
    ("name", "args", "status", "text"),
    [
        ("test_hello", ["Hello_Solo5"], 0, "SUCCESS"),
        ("test_globals", [], 0, "SUCCESS"),
        ("test_tls", [], 0, "SUCCESS"),
        ("test_fpu", [], 0, "SUCCESS"),
        ("test_exception", [], ABORT, "Solo5: trap: type=#PF"),
        ("test_zeropage", [], ABORT, "Solo5: trap: cr2=0x8\n"),
        ("test_notls", [], ABORT, "Solo5: trap: cr2=0x28\n"),
        ("test_ssp", [], ABORT, "Solo5: ABORT: Stack corruption detected"),
        ("test_dumpcore", [], ABORT, "Solo5: solo5_abort() called"),
        ("test_time", [], 0, "SUCCESS"),
    ],
)
def test_guest(name: str, args: list[str], status: int, text: str) -> None:
    result = virtio_run(["-q", guest(name), *args])
    assert result.status == status, result.describe()
    assert text in result.stdout, result.describe()


def test_hello_command_line() -> None:
    result = virtio_run(["-q", guest("test_hello"), "not", "hello"])
    assert result.status == 1, result.describe()
    assert "Command line is: 'not hello'" in result.stdout


def test_banner_and_memory_map() -> None:
    result = virtio_run(["-q", "-m", "64", guest("test_hello"), "Hello_Solo5"])
    assert result.status == 0
    assert "Solo5: Bindings version" in result.stdout
    assert "Solo5: Memory map: 63 MB addressable:" in result.stdout
    assert "Solo5: solo5_exit(0) called" in result.stdout


def test_quiet() -> None:
    result = virtio_run(["-q", guest("test_quiet"), "--solo5:quiet"])
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout
    assert "Solo5:" not in result.stdout


def test_output_bytes() -> None:
    result = virtio_run(["-q", guest("test_output")])
    assert result.status == 0, result.describe()
    lines = result.stdout.splitlines()
    for i in range(64):
        assert any(line.startswith(f"{i:02d} ") for line in lines), i


@pytest.mark.parametrize(("args", "status"), [
    (["0"], 0), (["1"], 1), (["2"], 2), (["83"], 83), (["125"], 125),
    (["return", "42"], 42), (["126"], ABORT), (["200"], ABORT),
])
def test_exit_statuses(args: list[str], status: int) -> None:
    result = virtio_run(["-q", guest("test_exit"), *args])
    assert result.status == status, result.describe()
