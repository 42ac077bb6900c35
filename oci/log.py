"""--log FILE --log-format text|json: where engines look for a runtime's error.

containerd's shim reports the last "error" entry of the JSON log as the
reason a command failed (podman shows the runtime's stderr instead): so
every error goes to stderr and, with --log, to the log as one entry.
"""

from __future__ import annotations

import os

FORMATS = ("text", "json")


def timestamp() -> str:
    """Now, in RFC 3339 with nanosecond digits as Go prints it."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


def format_entry(log_format: str, level: str, message: str, when: str) -> str:
    import json

    if log_format == "json":
        return json.dumps({"level": level, "msg": message, "time": when}) + "\n"
    return f"time={json.dumps(when)} level={level} msg={json.dumps(message)}\n"


class Log:
    __slots__ = ("format", "path")

    def __init__(self, path: str | None = None, log_format: str = "text") -> None:
        self.path = path
        self.format = log_format

    def write(self, level: str, message: str) -> None:
        """Append one entry; a log that cannot be written is not an error
        worth hiding the real one for."""
        if self.path is None:
            return
        entry = format_entry(self.format, level, message, timestamp())
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, entry.encode())
            finally:
                os.close(fd)
        except OSError:
            pass
