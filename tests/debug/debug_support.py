"""Driving solo5-hvt-debug --gdb and real gdb in batch mode, bounded in time.

    with GdbTender(guest_path("test_globals", "hvt")) as tender:
        session = run_gdb(tender.kernel, tender.port, ["break solo5_app_main", "continue"])
    assert tender.status == 0

The tender is started with --gdb-port=0 (the kernel picks a free loopback
port) and the port is read from its "waiting for a debugger" line, so runs
never race for a port.  Every wait has a timeout; a tender still alive at
the end is killed and the test fails.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from support.guest import STAGE_BIN

HVT_DEBUG = STAGE_BIN / "solo5-hvt-debug"
SPT = STAGE_BIN / "solo5-spt"
GDB = shutil.which("gdb")
WAITING = re.compile(r"waiting for a debugger on (\S+) port (\d+)")
TIMEOUT = 60.0


def gdb_missing() -> str | None:
    """Why gdb tests cannot run here, or None."""
    if GDB is None:
        return "gdb is not installed (scripts/ensure-env.sh installs it)"
    return None


@dataclass
class GdbRun:
    """What gdb printed, and how it ended."""

    status: int
    output: str


def run_gdb(
    program: Path,
    commands: list[str],
    target: str | None = None,
    core: Path | None = None,
    timeout: float = TIMEOUT,
) -> GdbRun:
    """gdb -batch -nx [-ex 'target remote TARGET'] -ex CMD ... PROGRAM [CORE]."""
    assert GDB is not None
    argv = [GDB, "-batch", "-nx", "-ex", "set confirm off", "-ex", "set pagination off"]
    if target is not None:
        argv += ["-ex", f"target remote {target}"]
    for c in commands:
        argv += ["-ex", c]
    argv.append(str(program))
    if core is not None:
        argv.append(str(core))
    proc = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return GdbRun(proc.returncode, proc.stdout)


class GdbTender:
    """solo5-hvt-debug --gdb-port=0 KERNEL ARGS, waiting for its debugger."""

    def __init__(self, kernel: Path, args: list[str] | None = None, extra: list[str] | None = None):
        self.kernel = kernel
        self.argv = [str(HVT_DEBUG), "--mem=2", "--gdb-port=0", *(extra or []), str(kernel)]
        self.argv += args or []
        self.proc: subprocess.Popen[bytes] | None = None
        self.addr = ""
        self.port = 0
        self.status: int | None = None
        self.stdout = ""
        self.stderr = ""
        self._stdout_head = b""
        self._stderr_head = b""

    @property
    def target(self) -> str:
        return f"{self.addr}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> GdbTender:
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.proc.stderr is not None
        deadline = time.monotonic() + TIMEOUT
        seen = b""
        fd = self.proc.stderr.fileno()
        while b"\n" not in seen:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                self._kill()
                raise AssertionError(f"no 'waiting for a debugger' line: {seen!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                self._kill()
                raise AssertionError(f"tender ended before waiting: {seen!r}")
            seen += chunk
        first, _, rest = seen.partition(b"\n")
        self._stderr_head = rest
        self.first_line = first.decode()
        m = WAITING.search(self.first_line)
        assert m is not None, self.first_line
        self.addr, self.port = m.group(1), int(m.group(2))
        return self

    def expect(self, text: str, stream: str = "stdout", timeout: float = TIMEOUT) -> None:
        """Reads the tender's stdout (or stderr) until `text` has appeared.

        What is read is kept: wait() still returns the whole output.
        """
        assert self.proc is not None
        pipe = self.proc.stdout if stream == "stdout" else self.proc.stderr
        assert pipe is not None
        fd = pipe.fileno()
        deadline = time.monotonic() + timeout
        while True:
            seen = self._stdout_head if stream == "stdout" else self._stderr_head
            if text.encode() in seen:
                return
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                self._kill()
                raise AssertionError(f"no {text!r} on the tender's {stream}: {seen!r}")
            if stream == "stdout":
                self._stdout_head += chunk
            else:
                self._stderr_head += chunk

    def wait(self, timeout: float = TIMEOUT) -> int:
        """Waits for the tender; returns its status as a shell shows it."""
        assert self.proc is not None
        if self.status is None:
            try:
                out, err = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise AssertionError("the tender did not exit") from None
            code = self.proc.returncode
            self.status = 128 - code if code < 0 else code
            self.stdout = (self._stdout_head + out).decode(errors="replace")
            self.stderr = (self._stderr_head + err).decode(errors="replace")
        return self.status

    def _kill(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._kill()
            return
        self.wait()


class Rsp:
    """A GDB remote protocol client on a socket (ack mode), for raw tests."""

    REPLY = re.compile(rb"\$([^#]*)#[0-9a-f]{2}")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    @staticmethod
    def packet(data: str) -> bytes:
        return b"$%s#%02x" % (data.encode(), sum(data.encode()) & 0xFF)

    def send(self, data: str) -> None:
        """Sends a packet and waits for its ack."""
        self.sock.sendall(self.packet(data))
        while not self.buf:
            self._fill()
        assert self.buf[:1] == b"+", self.buf
        self.buf = self.buf[1:]

    def reply(self, timeout: float = TIMEOUT) -> str:
        """Waits for one packet from the server, acks it, returns its payload."""
        deadline = time.monotonic() + timeout
        while (m := self.REPLY.search(self.buf)) is None:
            self._fill(deadline - time.monotonic())
        assert self.buf[: m.start()].strip(b"+") == b"", self.buf
        self.buf = self.buf[m.end() :]
        self.sock.sendall(b"+")
        return m.group(1).decode()

    def exchange(self, data: str) -> str:
        self.send(data)
        return self.reply()

    def _fill(self, timeout: float = TIMEOUT) -> None:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"no reply from the server; got {self.buf!r}") from None
        assert chunk, f"the server closed the connection; got {self.buf!r}"
        self.buf += chunk
