"""Make a running process issue one system call of our choosing (x86_64 Linux, ptrace).

Used to prove that solo5-hvt's seccomp filter is really in force: the tender
is stopped while it sleeps in a system call (so its registers sit right after
a `syscall` instruction), its registers are rewritten to re-execute that
instruction with another call number and arguments, and it is let go.
The process then meets its own filter exactly as if its code had made the
call: no debug hook in the tender is involved.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence

PTRACE_GETREGS = 12
PTRACE_SETREGS = 13
PTRACE_ATTACH = 16
PTRACE_DETACH = 17
SYSCALL_INSN_LEN = 2  # 0f 05

# struct user_regs_struct (x86_64), in order.
_REGS = [
    "r15",
    "r14",
    "r13",
    "r12",
    "rbp",
    "rbx",
    "r11",
    "r10",
    "r9",
    "r8",
    "rax",
    "rcx",
    "rdx",
    "rsi",
    "rdi",
    "orig_rax",
    "rip",
    "cs",
    "eflags",
    "rsp",
    "ss",
    "fs_base",
    "gs_base",
    "ds",
    "es",
    "fs",
    "gs",
]
_ARG_REGS = ("rdi", "rsi", "rdx", "r10", "r8", "r9")


class UserRegs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_ulonglong) for name in _REGS]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]


def _ptrace(request: int, pid: int, data: ctypes.c_void_p | int | None = None) -> None:
    if _libc.ptrace(request, pid, None, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"ptrace({request}, {pid}): {os.strerror(err)}")


def inject_syscall(pid: int, nr: int, args: Sequence[int] = ()) -> None:
    """Makes `pid` (our child, asleep in a system call) issue syscall `nr`(args)."""
    if len(args) > len(_ARG_REGS):
        raise ValueError(f"at most {len(_ARG_REGS)} arguments")
    _ptrace(PTRACE_ATTACH, pid)
    try:
        _, status = os.waitpid(pid, 0)
        if not os.WIFSTOPPED(status):
            raise RuntimeError(f"process {pid} did not stop (wait status {status:#x})")
        regs = UserRegs()
        _ptrace(PTRACE_GETREGS, pid, ctypes.addressof(regs))
        if regs.orig_rax == 2**64 - 1:
            raise RuntimeError(f"process {pid} was not in a system call")
        regs.rip -= SYSCALL_INSN_LEN
        with open(f"/proc/{pid}/mem", "rb") as mem:
            mem.seek(regs.rip)
            if mem.read(SYSCALL_INSN_LEN) != b"\x0f\x05":
                raise RuntimeError(f"no syscall instruction at {regs.rip:#x} in {pid}")
        regs.rax = nr
        # No system call in progress: the kernel must not "restart" the old one.
        regs.orig_rax = 2**64 - 1
        for name, value in zip(_ARG_REGS, args, strict=False):
            setattr(regs, name, value % 2**64)
        _ptrace(PTRACE_SETREGS, pid, ctypes.addressof(regs))
    finally:
        # Resume without delivering the attach's SIGSTOP.
        _ptrace(PTRACE_DETACH, pid, 0)
