"""The test unikernels without devices, run on the tenders (ref §6.3).

Each case is one row of CASES: a guest, its arguments, and what a user sees
(exit status, text that must or must not appear) for each tender.  The
tenders under test are spt and every other tender the build produced
(support.guest.tenders_under_test): the rows already say what hvt must do
where it differs from spt.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

import pytest
from support.guest import (
    STATUS_ABORT,
    STATUS_SIGSEGV,
    STATUS_SIGSYS,
    GuestRun,
    guest_path,
    run,
    run_guest,
    tender,
    tenders_under_test,
)

from solo5_toolchain.version import VERSION_DESCRIPTION

TENDERS_UNDER_TEST = tenders_under_test()


@dataclass(frozen=True)
class Expect:
    """What a run must show: its status, and text present in / absent from stdout."""

    status: int
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    def check(self, result: GuestRun) -> None:
        assert not result.timed_out, result.describe()
        assert result.status == self.status, result.describe()
        for text in self.present:
            assert text in result.stdout, f"missing {text!r}\n{result.describe()}"
        for text in self.absent:
            assert text not in result.output, f"unexpected {text!r}\n{result.describe()}"


SUCCESS = Expect(0, present=("SUCCESS",), absent=("FAILURE",))
# A fault must stop the guest before it reports that the fault did not happen.
SEGFAULT = Expect(STATUS_SIGSEGV, absent=("FAILURE", "SUCCESS"))
ABORT = Expect(STATUS_ABORT, present=("Solo5: ABORT",), absent=("FAILURE", "SUCCESS"))


def fault(tender_name: str) -> Expect:
    """A guest memory fault as the tender reports it."""
    t = tender(tender_name)
    present = (t.fault_text,) if t.fault_text else ()
    return Expect(t.fault_status, present=present, absent=("FAILURE", "SUCCESS"))


@dataclass(frozen=True)
class Case:
    guest: str
    args: tuple[str, ...] = ()
    expect: Expect | None = None  # the same on every tender
    by_tender: dict[str, Expect] = field(default_factory=dict)
    only: tuple[str, ...] = ()  # tenders the case applies to (empty: all)

    def expectation(self, tender_name: str) -> Expect:
        if tender_name in self.by_tender:
            return self.by_tender[tender_name]
        if self.expect is not None:
            return self.expect
        return fault(tender_name)


CASES: dict[str, Case] = {
    "hello": Case("test_hello", ("Hello_Solo5",), SUCCESS),
    "quiet": Case(
        "test_quiet", ("--solo5:quiet",), Expect(0, present=("SUCCESS",), absent=("Solo5:",))
    ),
    "output": Case("test_output", (), SUCCESS),
    "globals": Case("test_globals", (), SUCCESS),
    "exception": Case("test_exception"),
    "zeropage": Case("test_zeropage"),
    "notls": Case("test_notls"),
    "tls": Case("test_tls", (), SUCCESS),
    "ssp": Case(
        "test_ssp",
        (),
        Expect(
            STATUS_ABORT,
            present=("Solo5: ABORT: Stack corruption detected",),
            absent=("FAILURE",),
        ),
    ),
    # hvt too: the application runs at CPL3, natively even on kvm-pvm.
    "fpu": Case("test_fpu", (), SUCCESS),
    "time": Case("test_time", (), SUCCESS),
    "seccomp": Case(
        "test_seccomp", (), Expect(STATUS_SIGSYS, absent=("FAILURE", "returned")), only=("spt",)
    ),
    # W^X probes.  On hvt a write to read-only guest memory and executing
    # .data are a #PF (solo5-hvt's page tables map them read-only and NX)
    # that the guest reports and aborts on; upstream's tender made the write
    # a tender error (status 1, "host/guest translation fault", ref §6.4).
    "xnow": Case("test_xnow"),
    "wnox": Case("test_wnox"),
    "rnow": Case("test_rnow"),
    "dumpcore-abort": Case(
        "test_dumpcore",
        (),
        Expect(STATUS_ABORT, present=("Solo5: solo5_abort() called",)),
    ),
}


def _case_params() -> list[object]:
    params: list[object] = []
    for name, case in CASES.items():
        for t in TENDERS_UNDER_TEST:
            if case.only and t not in case.only:
                continue
            params.append(pytest.param(t, case, id=f"{name}-{t}"))
    return params


@pytest.mark.parametrize(("tender_name", "case"), _case_params())
def test_guest(tender_name: str, case: Case) -> None:
    result = run_guest(tender_name, case.guest, case.args)
    # Every guest prints its banner first: proves it ran before it ended.
    assert f"**** Solo5 standalone {case.guest} ****" in result.stdout, result.describe()
    case.expectation(tender_name).check(result)


# --- Output, command line and exit status -----------------------------------------


def expected_output_text() -> str:
    """The 4 KiB test_output writes in one call (see test_output.c)."""
    lines = []
    for line in range(64):
        body = "".join(chr(ord("!") + (line + i) % 94) for i in range(3, 63))
        lines.append(f"{line:02d} {body}\n")
    return "".join(lines)


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_output_is_written_whole(tender_name: str) -> None:
    text = expected_output_text()
    assert len(text) == 4096
    result = run_guest(tender_name, "test_output")
    SUCCESS.check(result)
    assert text in result.stdout, result.describe()


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_output_many_writes_in_order(tender_name: str) -> None:
    """3000 one-line writes, one write of 128 KiB (more than solo5-hvt's
    console ring holds: it goes by PUTS, after what the ring queued), 3000
    more lines: every byte, in order (test_output.c)."""
    lines = "".join(f"line {n}\n" for n in range(3000))
    more = "".join(f"line {n}\n" for n in range(3000, 6000))
    expected = lines + expected_output_text() * 32 + more + "SUCCESS\n"
    result = run_guest(tender_name, "test_output", ["many"])
    SUCCESS.check(result)
    assert expected in result.stdout, result.describe()


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_output_while_the_guest_runs_on(tender_name: str) -> None:
    """test_spin prints a line and spins forever without a hypercall: the
    line is out long before the run is stopped (solo5-hvt's console ring is
    written out by the tender without waiting for an exit)."""
    result = run_guest(tender_name, "test_spin", timeout=5)
    assert result.timed_out, result.describe()
    assert "spinning\n" in result.stdout, result.describe()


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_hello_prints_its_command_line(tender_name: str) -> None:
    result = run_guest(tender_name, "test_hello", ["Hello_Solo5"])
    SUCCESS.check(result)
    assert "Hello, World\nCommand line is: 'Hello_Solo5'\n" in result.stdout


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_hello_fails_on_another_command_line(tender_name: str) -> None:
    result = run_guest(tender_name, "test_hello", ["Goodbye"])
    assert result.status == 1, result.describe()
    assert "Command line is: 'Goodbye'" in result.stdout
    assert "SUCCESS" not in result.stdout


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_command_line_joins_arguments_with_spaces(tender_name: str) -> None:
    # ref §1.4: every argument after KERNEL, joined by single spaces, unquoted.
    result = run_guest(tender_name, "test_hello", ["a", "b c", "d"])
    assert "Command line is: 'a b c d'" in result.stdout, result.describe()


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_empty_command_line(tender_name: str) -> None:
    result = run_guest(tender_name, "test_hello")
    assert result.status == 1, result.describe()
    assert "Command line is: ''" in result.stdout


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
@pytest.mark.parametrize("status", [0, 1, 7, 42, 254])
def test_solo5_exit_status_reaches_the_host(tender_name: str, status: int) -> None:
    result = run_guest(tender_name, "test_exit", [str(status)])
    assert result.status == status, result.describe()
    assert f"calling solo5_exit({status})" in result.stdout
    assert f"Solo5: solo5_exit({status}) called" in result.stdout


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
@pytest.mark.parametrize("status", [0, 3, 7])
def test_returning_from_main_is_solo5_exit(tender_name: str, status: int) -> None:
    result = run_guest(tender_name, "test_exit", ["return", str(status)])
    assert result.status == status, result.describe()
    assert f"returning {status}" in result.stdout
    assert f"Solo5: solo5_exit({status}) called" in result.stdout


# --- Banner, memory map and log levels (ref §1.3, §1.4) ---------------------------

MEMORY_MAP = [
    r"Solo5: Memory map: (\d+) MB addressable:",
    r"Solo5:   reserved @ \(0x0 - 0xfffff\)",
    r"Solo5:       text @ \(0x[0-9a-f]+ - 0x[0-9a-f]+\)",
    r"Solo5:     rodata @ \(0x[0-9a-f]+ - 0x[0-9a-f]+\)",
    r"Solo5:       data @ \(0x[0-9a-f]+ - 0x[0-9a-f]+\)",
    r"Solo5:       heap >= 0x([0-9a-f]+) < stack < 0x([0-9a-f]+)",
]


def solo5_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Solo5:")]


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
@pytest.mark.parametrize("mem", [2, 8])
def test_banner_and_memory_map(tender_name: str, mem: int) -> None:
    result = run_guest(tender_name, "test_hello", ["Hello_Solo5"], mem=mem)
    SUCCESS.check(result)
    lines = solo5_lines(result.stdout)
    assert f"Solo5: Bindings version {VERSION_DESCRIPTION}" in lines, result.describe()

    start = next((i for i, line in enumerate(lines) if line.startswith("Solo5: Memory map:")), None)
    assert start is not None, result.describe()
    block = lines[start : start + len(MEMORY_MAP)]
    assert len(block) == len(MEMORY_MAP), result.describe()
    matches = []
    for pattern, line in zip(MEMORY_MAP, block, strict=True):
        match = re.fullmatch(pattern, line)
        assert match is not None, f"{line!r} does not match {pattern!r}\n{result.describe()}"
        matches.append(match)

    assert int(matches[0].group(1)) == mem
    heap_start = int(matches[-1].group(1), 16)
    stack_top = int(matches[-1].group(2), 16)
    assert stack_top == mem << 20
    assert heap_start % 0x1000 == 0 and 0x100000 < heap_start < stack_top

    # The version line, then the map, then the app's own output.
    version_at = result.stdout.index("Solo5: Bindings version")
    assert "Solo5: Memory map:" in result.stdout[version_at:]
    assert result.stdout.index("**** Solo5 standalone") > result.stdout.index("heap >=")


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
@pytest.mark.parametrize("level", ["info", "debug"])
def test_verbose_log_levels_show_banner_and_exit(tender_name: str, level: str) -> None:
    result = run_guest(tender_name, "test_hello", [f"--solo5:{level}", "Hello_Solo5"])
    SUCCESS.check(result)
    # The option is consumed by the bindings: the app sees the rest only.
    assert "Command line is: 'Hello_Solo5'" in result.stdout
    assert "Solo5: Bindings version" in result.stdout
    assert "Solo5: Memory map:" in result.stdout
    assert "Solo5: solo5_exit(0) called" in result.stdout


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
@pytest.mark.parametrize("level", ["quiet", "error", "warn"])
def test_quiet_log_levels_hide_info(tender_name: str, level: str) -> None:
    result = run_guest(tender_name, "test_hello", [f"--solo5:{level}", "Hello_Solo5"])
    SUCCESS.check(result)
    assert "Command line is: 'Hello_Solo5'" in result.stdout
    assert solo5_lines(result.stdout) == [], result.describe()


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_quiet_still_shows_aborts(tender_name: str) -> None:
    result = run_guest(tender_name, "test_ssp", ["--solo5:quiet"])
    assert result.status == STATUS_ABORT, result.describe()
    assert "Solo5: ABORT: Stack corruption detected" in result.stdout, result.describe()
    assert "Solo5: Bindings version" not in result.stdout


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_several_log_options_last_wins(tender_name: str) -> None:
    result = run_guest(tender_name, "test_hello", ["--solo5:debug", "--solo5:quiet", "Hello_Solo5"])
    SUCCESS.check(result)
    assert solo5_lines(result.stdout) == [], result.describe()


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_log_option_needs_a_word_boundary(tender_name: str) -> None:
    # "--solo5:quietly" is not an option: the app sees it, and the log stays on.
    result = run_guest(tender_name, "test_hello", ["--solo5:quietly"])
    assert result.status == 1, result.describe()
    assert "Command line is: '--solo5:quietly'" in result.stdout
    assert "Solo5: Bindings version" in result.stdout


@pytest.mark.parametrize("tender_name", TENDERS_UNDER_TEST)
def test_options_after_the_app_arguments_are_the_apps(tender_name: str) -> None:
    result = run_guest(tender_name, "test_hello", ["Hello_Solo5", "--solo5:quiet"])
    assert result.status == 1, result.describe()
    assert "Command line is: 'Hello_Solo5 --solo5:quiet'" in result.stdout


# --- Host side ----------------------------------------------------------------------


def test_unikernel_is_not_a_host_executable() -> None:
    """ref §6.3 "noexec host": the .interp points nowhere, so exec fails."""
    kernel = guest_path("test_hello", "spt")
    result = run(["bash", "-c", '"$0" Hello_Solo5', kernel])
    assert result.status == 127, result.describe()
    assert (
        "No such file or directory" in result.stderr or "required file not found" in result.stderr
    ), result.describe()
    assert "Hello, World" not in result.output
    # Without a shell, exec itself reports the missing interpreter.
    with pytest.raises(FileNotFoundError):
        subprocess.run([kernel], check=False, capture_output=True, timeout=60)


def test_stub_link_is_refused_by_spt() -> None:
    """The default link (no -z solo5-abi) uses the stub: no ABI note to run on spt."""
    kernel = guest_path("test_hello", "stub")
    result = run([tender("spt").binary, kernel, "Hello_Solo5"])
    assert result.status == 1, result.describe()
    # One line naming the file.  (The stub has no ABI note; the exact reason
    # given depends on how its empty note segment is laid out.)
    assert result.stderr.count("\n") == 1 and str(kernel) in result.stderr, result.describe()
    assert "Hello, World" not in result.output
