"""The application manifest model: manifest.json -> validated list of devices.

Rules and messages follow upstream's `solo5-elftool gen-manifest` (ref §4.1),
plus two checks upstream lacks: unknown device types (upstream fails later,
at C compile time) and duplicate device names (upstream accepts them and the
tender silently uses the first).  Every error carries the file and line of the
element at fault.
"""

from __future__ import annotations

import errno
import os
import sys

from solo5_toolchain import abi, jsonpos
from solo5_toolchain.record import Record

MANIFEST_TYPE = "solo5.manifest"
STDIN = "-"
STDIN_NAME = "<stdin>"
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class ManifestError(Exception):
    """An invalid manifest; str() is `<file>:<line>: <message>`."""

    def __init__(self, filename: str, line: int, message: str) -> None:
        # One line whatever the document holds: a key or value quoted from it
        # may contain control characters (escaped in JSON, real after parsing).
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        super().__init__(f"{filename}:{line}: {message}")
        self.filename = filename
        self.line = line
        self.message = message


class Device(Record):
    """One declared device: a name and a type name such as NET_BASIC."""

    __slots__ = ("name", "type")
    name: str
    type: str

    def __init__(self, name: str, type: str) -> None:
        super().__init__(name, type)

    @property
    def type_code(self) -> int:
        """The mft_type value of this device."""
        return abi.DEVICE_TYPES[self.type]


class Manifest(Record):
    """A validated manifest: at most MFT_MAX_DEVICES uniquely named devices."""

    __slots__ = ("devices",)
    devices: tuple[Device, ...]

    def __init__(self, devices: tuple[Device, ...] = ()) -> None:
        problem = check_devices(devices)
        if problem is not None:
            raise ValueError(problem)
        super().__init__(devices)

    @property
    def entries(self) -> int:
        """Entries of the binary manifest, the reserved first entry included."""
        return len(self.devices) + 1


def check_name(name: str) -> str | None:
    """Why `name` is not a valid device name, or None when it is."""
    if not name:
        return ".name may not be empty"
    if len(name) > abi.MFT_NAME_MAX:
        return "name too long"
    if not all(c in _ALNUM for c in name):
        return "name is not alphanumeric"
    return None


def check_type(type_name: str) -> str | None:
    """Why `type_name` is not a known device type, or None when it is."""
    if type_name in abi.DEVICE_TYPES:
        return None
    known = ", ".join(abi.DEVICE_TYPES)
    return f"unknown device type {jsonpos.quote(type_name)} (known: {known})"


def check_devices(devices: tuple[Device, ...]) -> str | None:
    """The first problem with a device list built in code, or None."""
    if len(devices) > abi.MFT_MAX_DEVICES:
        return f"too many entries, maximum {abi.MFT_MAX_DEVICES}"
    seen: set[str] = set()
    for device in devices:
        problem = check_name(device.name) or check_type(device.type)
        if problem is not None:
            return f"device {device.name!r}: {problem}"
        if device.name in seen:
            return f'duplicate device name "{device.name}"'
        seen.add(device.name)
    return None


class _Checker:
    """Walks the parsed document; holds only the file name for messages."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def error(self, line: int, message: str) -> ManifestError:
        return ManifestError(self.filename, line, message)

    def members(self, node: jsonpos.Node, where: str, allowed: tuple[str, ...]
                ) -> dict[str, jsonpos.Member]:
        found: dict[str, jsonpos.Member] = {}
        for member in node.members:
            if member.key not in allowed:
                raise self.error(member.line, f"{where}: unknown key: {member.key}")
            if member.key in found:
                raise self.error(member.line, f"{where}: duplicate key: {member.key}")
            found[member.key] = member
        return found

    def root(self, node: jsonpos.Node) -> Manifest:
        if node.kind != "object":
            raise self.error(node.line, f"(root): expected an object, found {node.describe()}")
        keys = self.members(node, "(root)", ("type", "version", "devices"))
        if "type" not in keys:
            raise self.error(node.line, "missing .type")
        if "version" not in keys:
            raise self.error(node.line, "missing .version")
        if "devices" not in keys:
            raise self.error(node.line, "missing .devices[]")
        self.manifest_type(keys["type"].value)
        self.version(keys["version"].value)
        return Manifest(self.devices(keys["devices"].value))

    def manifest_type(self, value: jsonpos.Node) -> None:
        if value.kind != "string" or value.value != MANIFEST_TYPE:
            raise self.error(
                value.line, f'invalid .type {value.describe()}, expected "{MANIFEST_TYPE}"'
            )

    def version(self, value: jsonpos.Node) -> None:
        if value.kind != "number" or value.value != abi.MFT_VERSION or \
                not isinstance(value.value, int):
            raise self.error(
                value.line, f"invalid version {value.describe()}, expected {abi.MFT_VERSION}"
            )

    def devices(self, value: jsonpos.Node) -> tuple[Device, ...]:
        if value.kind != "array":
            raise self.error(value.line, f".devices: expected an array, found {value.describe()}")
        devices: list[Device] = []
        first_line: dict[str, int] = {}
        for index, item in enumerate(value.items):
            if index >= abi.MFT_MAX_DEVICES:
                raise self.error(item.line, f"too many entries, maximum {abi.MFT_MAX_DEVICES}")
            device = self.device(item)
            if device.name in first_line:
                raise self.error(
                    item.line,
                    f'.devices[...]: duplicate device name "{device.name}" '
                    f"(first declared on line {first_line[device.name]})",
                )
            first_line[device.name] = item.line
            devices.append(device)
        return tuple(devices)

    def device(self, item: jsonpos.Node) -> Device:
        where = ".devices[...]"
        if item.kind != "object":
            raise self.error(item.line, f"{where}: expected an object, found {item.describe()}")
        keys = self.members(item, where, ("name", "type"))
        for key in ("name", "type"):
            if key not in keys:
                raise self.error(item.line, f"{where}: missing .{key}")
            value = keys[key].value
            if value.kind != "string":
                raise self.error(
                    value.line, f"{where}: .{key}: expected a string, found {value.describe()}"
                )
        name_node, type_node = keys["name"].value, keys["type"].value
        assert isinstance(name_node.value, str) and isinstance(type_node.value, str)
        problem = check_name(name_node.value)
        if problem is not None:
            raise self.error(name_node.line, problem)
        problem = check_type(type_node.value)
        if problem is not None:
            raise self.error(type_node.line, f"{where}: {problem}")
        return Device(name_node.value, type_node.value)


def parse(text: str, filename: str) -> Manifest:
    """Validate the manifest.json `text`; errors name `filename` and a line."""
    try:
        document = jsonpos.parse(text)
    except jsonpos.JsonSyntaxError as error:
        raise ManifestError(filename, error.line, error.message) from None
    return _Checker(filename).root(document)


def load(path: str) -> Manifest:
    """Read and validate a manifest file; `-` means standard input.

    Raises ManifestError for invalid content and OSError (with the file name)
    when the file cannot be read.
    """
    if path == STDIN:
        if sys.stdin is None:  # closed when the tool started
            raise OSError(errno.EBADF, os.strerror(errno.EBADF), STDIN_NAME)
        return parse(_decode(sys.stdin.buffer.read(), STDIN_NAME), STDIN_NAME)
    with open(path, "rb") as stream:
        return parse(_decode(stream.read(), path), path)


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ManifestError(filename, line, "invalid JSON: not UTF-8 text") from None
