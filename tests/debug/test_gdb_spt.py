"""The spt debugging recipe (ref §8.2, docs/debugging.md), with real gdb.

gdb runs solo5-spt itself with no libthread_db (the tender unmaps glibc
and clears the FS base before the guest runs: gdb's thread layer would
lose the thread), stops once at spt_launch (the guest is loaded, nothing
of it has run), loads the unikernel's symbols with add-symbol-file (its
addresses are the host's: spt maps the guest at identical addresses) and
debugs the guest like any program.
"""

from __future__ import annotations

import re

import pytest
from support.guest import guest_path

from .debug_support import SPT, gdb_missing, run_gdb

pytestmark = pytest.mark.skipif(gdb_missing() is not None, reason=str(gdb_missing()))


def recipe(guest: str, args: str, commands: list[str]) -> str:
    kernel = guest_path(guest, "spt")
    gdb = run_gdb(
        SPT,
        [
            'set libthread-db-search-path ""',
            "tbreak spt_launch",
            f"run --mem=2 {kernel} {args}",
            f"add-symbol-file {kernel}",
            *commands,
        ],
    )
    assert "Temporary breakpoint 1, spt_launch" in gdb.output, gdb.output
    assert "Cannot find user-level thread" not in gdb.output, gdb.output
    return gdb.output


def test_break_bt_print_next_watch_exit() -> None:
    out = recipe(
        "test_globals",
        "",
        [
            "break solo5_app_main",
            "continue",
            "bt",
            "print message",
            "next",
            "watch message[0]",
            "continue",
            "delete",
            "continue",
        ],
    )
    assert "Breakpoint 2, solo5_app_main" in out, out
    assert re.search(r"#1 .* in bindings_run_app", out), out
    assert '$1 = "RUCCESS\\n"' in out, out
    assert re.search(r"^12\s+for \(size_t i = 0", out, re.M), out
    assert "Old value = 82 'R'" in out and "New value = 83 'S'" in out, out
    assert "exited normally" in out, out


def test_registers_and_exit_status() -> None:
    out = recipe(
        "test_exit",
        "42",
        [
            "break solo5_app_main",
            "continue",
            "set $r12 = 0x1234abcd5678",
            "info registers r12",
            "continue",
        ],
    )
    assert re.search(r"^r12\s+0x1234abcd5678\s", out, re.M), out
    assert "exited with code 052" in out, out
