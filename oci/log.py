"""--log FILE --log-format text|json: where engines look for a runtime's error.

containerd's shim reports the last "error" entry of the JSON log as the
reason a command failed (podman shows the runtime's stderr instead): so
every error goes to stderr and, with --log, to the log as one entry.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime

FORMATS = ("text", "json")


def timestamp() -> str:
    """Now, in RFC 3339 with nanosecond digits as Go prints it."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


def format_entry(log_format: str, level: str, message: str, when: str) -> str:
    if log_format == "json":
        return json.dumps({"level": level, "msg": message, "time": when}) + "\n"
    return f"time={json.dumps(when)} level={level} msg={json.dumps(message)}\n"


@dataclass(frozen=True)
class Log:
    path: str | None = None
    format: str = "text"

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
