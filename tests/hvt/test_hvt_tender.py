"""solo5-hvt as a program: hostile hypercalls, --mem, the command line, bad inputs.

test_hostile issues raw hypercalls a correct guest never would (see its
source): each must stop the guest with status 1 and one line naming the
fault, never a crash of the tender (which would be a signal status).  The
guest runs at CPL3 (HVT_FEATURE_USER_MODE), where its own I/O permission
bitmap already refuses ports outside the hypercall range; the tender's
check of those is exercised at CPL0 in test_hvt_cpl0.py.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from support.guest import GuestRun, guest_path, run, run_guest

from solo5_toolchain.version import VERSION_DESCRIPTION

from .hvt_env import HVT, requires_hvt

pytestmark = requires_hvt

MIB = 1 << 20


def hostile(case: str, mem: int = 2) -> GuestRun:
    return run_guest("hvt", "test_hostile", [case], mem=mem)


def test_hostile_control_case_succeeds() -> None:
    # The raw hypercall path itself works: the other cases fail for their reason.
    result = hostile("ok")
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout


END = 2 * MIB  # guest memory end with --mem=2
HOSTILE = {
    "in": "Invalid guest port access: port=0x502",
    "byte": "Invalid guest port access: port=0x502",
    "num0": "Invalid guest hypercall: num=0",
    "num9": "Invalid guest hypercall: num=9",
    "block": "Invalid guest hypercall: num=4",
    "argpast": f"Invalid guest access: gpa={END:#x}, sz=8",
    "argro": "Invalid guest access: gpa=0x",
    "arglow": "Invalid guest access: gpa=0x10000, sz=8",
    "ptrpast": f"Invalid guest access: gpa={END + 0x1000:#x}, sz=1",
    "wrap": f"Invalid guest access: gpa=0x100000, sz={2**64 - 0x100000 + 16}",
    "lenpast": "Invalid guest access: gpa=0x",
    "cookie": f"Invalid guest access: gpa={END - 511:#x}, sz=512",
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_request_stops_the_guest(case: str) -> None:
    result = hostile(case)
    assert result.status == 1, result.describe()
    assert "issuing the hostile request" in result.stdout, result.describe()
    # One line, from the tender, naming the fault; the guest never resumed.
    assert result.stderr.startswith(f"solo5-hvt: {HOSTILE[case]}"), result.describe()
    assert result.stderr.count("\n") == 1, result.describe()
    assert "the tender resumed the guest" not in result.stdout


def test_hostile_port_outside_the_hypercall_range_traps_at_cpl3() -> None:
    # The bindings' TSS I/O bitmap opens only 0x500-0x5ff to CPL3: the CPU
    # raises #GP at the `out`, which the bindings report and abort on.
    result = hostile("port")
    assert result.status == 255, result.describe()
    assert "issuing the hostile request" in result.stdout, result.describe()
    assert "Solo5: trap: type=#GP ec=0x0 rip=0x" in result.stdout, result.describe()
    assert result.stderr == "", result.describe()
    assert "the tender resumed the guest" not in result.stdout


def test_hostile_length_past_memory_names_the_length() -> None:
    result = hostile("lenpast")
    match = re.search(r"gpa=(0x[0-9a-f]+), sz=(\d+)", result.stderr)
    assert match is not None, result.describe()
    # The buffer starts inside guest memory and ends exactly one byte past it.
    assert int(match.group(1), 16) + int(match.group(2)) == END + 1


# --- --mem (ref §2.2) ---------------------------------------------------------------


@pytest.mark.parametrize(("mem", "mb"), [(2, 2), (3, 2), (9, 8), (4096, 4096), (4097, 4096)])
def test_mem_is_rounded_down_to_2_mib(mem: int, mb: int) -> None:
    result = run_guest("hvt", "test_hello", ["Hello_Solo5"], mem=mem)
    assert result.status == 0, result.describe()
    assert f"Solo5: Memory map: {mb} MB addressable:" in result.stdout
    warning = f"solo5-hvt: WARNING: adjusting memory to {mb * MIB} bytes"
    if mem == mb:
        assert "adjusting memory" not in result.stderr, result.describe()
    else:
        assert warning in result.stderr, result.describe()


def test_mem_default_is_512() -> None:
    result = run([HVT, guest_path("test_hello", "hvt"), "Hello_Solo5"])
    assert result.status == 0, result.describe()
    assert "Solo5: Memory map: 512 MB addressable:" in result.stdout


def test_mem_below_minimum() -> None:
    result = run_guest("hvt", "test_hello", ["Hello_Solo5"], mem=1)
    assert result.status == 1, result.describe()
    assert "guest memory size 1048576 bytes is below the min size 2097152 bytes" in result.stderr
    assert "Hello" not in result.stdout


@pytest.mark.parametrize("mem", [4098, 1 << 20])
def test_mem_above_maximum(mem: int) -> None:
    result = run_guest("hvt", "test_hello", ["Hello_Solo5"], mem=mem)
    assert result.status == 1, result.describe()
    assert (
        f"solo5-hvt: guest memory size {mem * MIB} bytes exceeds the max size 4294967296 bytes\n"
        == result.stderr
    ), result.describe()


@pytest.mark.parametrize("value", ["0", "", "abc", "-2", "2M"])
def test_mem_malformed(value: str) -> None:
    result = run([HVT, f"--mem={value}", guest_path("test_hello", "hvt")])
    assert result.status == 1, result.describe()
    assert "Malformed argument to --mem" in result.stderr


# --- Guest command line (ref §2.1: HVT_CMDLINE_SIZE 8192 with the NUL) ----------------


def test_command_line_of_8191_characters_is_passed_whole() -> None:
    arg = "x" * 8191
    result = run_guest("hvt", "test_hello", [arg])
    assert result.status == 1, result.describe()  # not Hello_Solo5, but it ran
    assert f"Command line is: '{arg}'" in result.stdout


def test_command_line_of_8192_characters_is_refused() -> None:
    result = run_guest("hvt", "test_hello", ["x" * 4096, "y" * 4095])  # 8192 with the space
    assert result.status == 1, result.describe()
    assert result.stderr == "solo5-hvt: Guest command line too long (max=8191 characters)\n"
    assert result.stdout == ""


# --- Bad inputs and the CLI (ref §2.10, §2.12) ---------------------------------------


def test_help_lists_modules() -> None:
    result = run([HVT, "--help"])
    assert result.status == 0, result.describe()
    lines = result.stdout.splitlines()
    assert lines[0] == "usage: solo5-hvt [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]"
    assert "    [ --mem=512 ] (guest memory in MB)" in lines
    assert "Compiled-in modules: core block net" in lines
    assert any(line.strip().startswith("[ --block:NAME=PATH ]") for line in lines)
    assert any(line.strip().startswith("[ --net:NAME=IFACE") for line in lines)


def test_version() -> None:
    result = run([HVT, "--version"])
    assert result.status == 0, result.describe()
    assert f"solo5-hvt tender, version {VERSION_DESCRIPTION}" in result.output
    assert "ABI version 2" in result.output


def test_missing_kernel() -> None:
    result = run([HVT, "--mem=2"])
    assert result.status == 1, result.describe()
    assert "Missing KERNEL operand" in result.stderr
    assert "usage: solo5-hvt" in result.stderr


def test_spt_unikernel_is_refused() -> None:
    kernel = guest_path("test_hello", "spt")
    result = run([HVT, "--mem=2", kernel])
    assert result.status == 1, result.describe()
    assert result.stderr == f"solo5-hvt: {kernel}: Executable is not for the solo5-hvt target\n"


def test_unknown_option() -> None:
    result = run([HVT, "--frobnicate", guest_path("test_hello", "hvt")])
    assert result.status == 1, result.describe()
    assert "Invalid option: `--frobnicate'" in result.stderr


def test_not_an_elf_file() -> None:
    result = run([HVT, "--mem=2", "/etc/passwd"])
    assert result.status == 1, result.describe()
    assert result.stderr.startswith("solo5-hvt: /etc/passwd: invalid executable"), result.describe()


def test_sigterm_ends_the_tender() -> None:
    with subprocess.Popen(
        [HVT, "--mem=2", guest_path("test_time", "hvt")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        # Wait for the guest to be running (it then sleeps in POLL for seconds).
        while "Solo5 standalone test_time" not in proc.stdout.readline().decode():
            assert proc.poll() is None, "the tender ended before its guest ran"
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.decode() == "Exiting on signal 15\n"
