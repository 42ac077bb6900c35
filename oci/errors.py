"""The one exception solo5-oci's commands raise for anything a user can act on."""

from __future__ import annotations


class OciError(Exception):
    """A failure with a message naming the file, option, device or value at
    fault; solo5-oci prints it as one line, `solo5-oci: <message>`."""


class NotFound(OciError):
    """The container ID names no container.  Engines match the words
    "does not exist" (containerd's shim ignores such a failure of `delete`)."""

    def __init__(self, container_id: str) -> None:
        super().__init__(f"container {container_id!r} does not exist")
