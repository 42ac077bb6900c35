"""Nothing of the tender's own process reaches the guest (issue 14).

On spt the guest runs in the tender's process.  The independent review's
hostile guest (test_spt_leak) read the FS base solo5-spt left pointing at
glibc's thread block and followed it to the tender's argv and environment;
the SSE registers held stack, heap and library addresses.  solo5-spt now
unmaps everything of its own before the guest's first instruction, clears
the FS and GS bases and resets the vector state.  On hvt the guest is a VM:
the same probe (test_entry_state) checks that only the entry ABI reaches it.
"""

from __future__ import annotations

import os
import re
import secrets
import struct
import subprocess
import time
from pathlib import Path

import pytest
from support.guest import STATUS_SIGSEGV, guest_path, run_guest, tender, tenders_under_test

from solo5_toolchain import abi

AT_HWCAP2 = 26
HWCAP2_FSGSBASE = 1 << 1
MIB = 1 << 20


def secret_env() -> dict[str, str]:
    """A minimal environment holding a fresh secret, as an orchestrator's would."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SECRET_TOKEN": secrets.token_hex(16)}


def host_has_fsgsbase() -> bool:
    """RDFSBASE works in user mode: the kernel says so in AT_HWCAP2."""
    data = Path("/proc/self/auxv").read_bytes()
    for i in range(0, len(data) - 15, 16):
        key, value = struct.unpack_from("<QQ", data, i)
        if key == AT_HWCAP2:
            return bool(value & HWCAP2_FSGSBASE)
    return False


def test_spt_hostile_guest_finds_no_thread_block() -> None:
    env = secret_env()
    result = run_guest("spt", "test_spt_leak", env=env)
    # Its first instruction reads %fs:0: with the FS base cleared that is
    # address 0, unmapped, so the guest dies before printing anything.
    assert result.status == STATUS_SIGSEGV, result.describe()
    assert env["SECRET_TOKEN"] not in result.output, result.describe()
    assert "LEAK" not in result.output, result.describe()


@pytest.mark.skipif(not host_has_fsgsbase(), reason="the host kernel has not enabled FSGSBASE")
def test_spt_fs_and_gs_bases_are_zero_at_entry() -> None:
    result = run_guest("spt", "test_spt_leak", ["fsgsbase"])
    assert result.status == 0, result.describe()
    assert "fsbase 0x0 gsbase 0x0" in result.stdout, result.describe()


def entry_lines(out: str) -> dict[str, str]:
    """test_entry_state's "<what> <value...>" lines after its banner."""
    body = out.split("**** Solo5 standalone test_entry_state ****", 1)[1]
    lines = {}
    for line in body.splitlines():
        words = line.split(" ", 1)
        if len(words) == 2 and not line.startswith("Solo5:"):
            lines[words[0] if words[0] != "reg" else words[1].split()[0]] = words[1]
    return lines


def elf_entry(path: Path) -> int:
    return struct.unpack_from("<Q", path.read_bytes(), 24)[0]


@pytest.mark.parametrize("tender_name", tenders_under_test())
def test_guest_gets_only_the_entry_abi(tender_name: str) -> None:
    env = secret_env()
    mem = 4
    result = run_guest(tender_name, "test_entry_state", mem=mem, env=env)
    assert result.status == 0 and "SUCCESS" in result.stdout, result.describe()
    lines = entry_lines(result.stdout)
    regs = {k: int(v.split()[1], 16) for k, v in lines.items() if k.startswith("r")}
    expected = {"rsp": mem * MIB - 8}
    if tender_name == "spt":
        expected |= {"rdi": abi.SPT_BOOT_INFO_BASE}
        # The trampoline jumps through RAX: the ELF's own entry point.
        expected |= {"rax": elf_entry(guest_path("test_entry_state", "spt"))}
    else:
        expected |= {"rdi": abi.HVT_BOOT_INFO_BASE}
    assert regs == expected, result.describe()
    assert not [k for k in lines if k.startswith("xmm")], result.describe()
    if tender_name == "spt":
        # The x87/SSE reset state, as after FNINIT and LDMXCSR 0x1f80.
        assert lines["mxcsr"] == "0x1f80" and lines["fcw"] == "0x37f", result.describe()
        assert lines["ftw"] == "0xffff", result.describe()
    assert lines["secret"] == "none", result.describe()
    assert env["SECRET_TOKEN"] not in result.output, result.describe()


def mappings(pid: int) -> list[tuple[int, int, str]]:
    """/proc/PID/maps as (start, end, name)."""
    out = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        out.append((start, end, fields[5] if len(fields) > 5 else ""))
    return out


def test_spt_process_maps_only_guest_memory() -> None:
    """While the guest runs, its process holds guest memory and nothing else
    of the tender: no image, libraries, heap, stack, vDSO; no environment."""
    mem = 4
    argv = [tender("spt").binary, f"--mem={mem}", guest_path("test_spin", "spt"), "yield"]
    proc = subprocess.Popen(
        argv, env=secret_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        for line in proc.stdout:
            if "spinning" in line or time.monotonic() > deadline:
                break
        maps = mappings(proc.pid)
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
    finally:
        proc.kill()
        proc.wait()
    outside = [
        m
        for m in maps
        if not (abi.SPT_HOST_MEM_BASE <= m[0] < m[1] <= mem * MIB) and m[2] != "[vsyscall]"
    ]
    assert maps and not outside, "\n".join(f"{s:#x}-{e:#x} {n}" for s, e, n in maps)
    assert environ == b""
    assert re.search(rb"SECRET", environ) is None
