"""A minimal container engine, as a script: what conmon and containerd's shim
do around `create`, for the runtime tests that call solo5-oci directly.

    python reaper.py DIR RUNTIME [GLOBAL OPTIONS] create ... --pid-file F ID

It becomes a child subreaper (the container's init, orphaned when `create`
returns, is re-parented to it), runs the create command with the container's
output going to DIR/stdout and DIR/stderr, writes create's status to
DIR/created, then waits for the init and writes its status, shell-style
(128 + N for signal N), to DIR/exited.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def _write(path: str, text: str) -> None:
    with open(path + ".tmp", "w") as stream:
        stream.write(text)
    os.replace(path + ".tmp", path)


def main(out: str, command: list[str]) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    pid_file = command[command.index("--pid-file") + 1]
    with open(f"{out}/stdout", "wb") as stdout, open(f"{out}/stderr", "wb") as stderr:
        created = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, check=False
        ).returncode
    _write(f"{out}/created", str(created))
    if created != 0:
        return 0
    with open(pid_file) as stream:
        pid = int(stream.read())
    while True:
        reaped, status = os.wait()
        if reaped == pid:
            code = os.waitstatus_to_exitcode(status)
            _write(f"{out}/exited", str(128 - code if code < 0 else code))
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
