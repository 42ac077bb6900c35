"""The manifest model: rules, messages and line numbers of ref §4.1."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solo5_toolchain import abi, manifest

ALNUM = string.ascii_letters + string.digits


def doc(devices: str = "[]", extra: str = "") -> str:
    """A manifest whose devices value is `devices`; .type is on line 2."""
    return (
        "{\n"
        '  "type": "solo5.manifest",\n'
        '  "version": 1,\n'
        f'  "devices": {devices}{extra}\n'
        "}\n"
    )


def error_of(text: str) -> manifest.ManifestError:
    with pytest.raises(manifest.ManifestError) as info:
        manifest.parse(text, "m.json")
    return info.value


def test_valid_manifest() -> None:
    mft = manifest.parse(
        doc('[\n    {"name": "net0", "type": "NET_BASIC"},\n'
            '    {"name": "disk", "type": "BLOCK_BASIC"}\n  ]'),
        "m.json",
    )
    assert mft.devices == (
        manifest.Device("net0", "NET_BASIC"),
        manifest.Device("disk", "BLOCK_BASIC"),
    )
    assert mft.entries == 3
    assert [d.type_code for d in mft.devices] == [abi.MFT_DEV_NET_BASIC, abi.MFT_DEV_BLOCK_BASIC]


def test_empty_device_list() -> None:
    assert manifest.parse(doc(), "m.json").devices == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (doc(extra=',\n  "foo": 3'), 5, "(root): unknown key: foo"),
        (doc(extra=',\n  "ve\\nI\\u0007": 3'), 5, "(root): unknown key: ve\\nI\\x07"),
        ('{\n"version": 1,\n"devices": []\n}', 1, "missing .type"),
        ('{"type": "solo5.manifest",\n"devices": []}', 1, "missing .version"),
        ('{"type": "solo5.manifest",\n"version": 1}', 1, "missing .devices[]"),
        (doc().replace('"version": 1', '"version": 2'), 3, "invalid version 2, expected 1"),
        (doc().replace('"version": 1', '"version": 1.0'), 3, "invalid version 1.0, expected 1"),
        (doc().replace('"version": 1', '"version": "1"'), 3,
         'invalid version "1", expected 1'),
        (doc().replace('"solo5.manifest"', '"other"'), 2,
         'invalid .type "other", expected "solo5.manifest"'),
        (doc('[\n {"name": "a", "type": "NET_BASIC", "mac": "x"}\n]'), 5,
         ".devices[...]: unknown key: mac"),
        (doc('[\n {"name": "",\n "type": "NET_BASIC"}\n]'), 5, ".name may not be empty"),
        (doc('[\n {"name": "' + "a" * 68 + '", "type": "NET_BASIC"}\n]'), 5, "name too long"),
        (doc('[\n {"name": "a-b", "type": "NET_BASIC"}\n]'), 5, "name is not alphanumeric"),
        (doc('[\n {"name": "caf\\u00e9", "type": "NET_BASIC"}\n]'), 5,
         "name is not alphanumeric"),
        (doc('[\n {"name": "a",\n\n "type": "TAP"}\n]'), 7,
         '.devices[...]: unknown device type "TAP" (known: BLOCK_BASIC, NET_BASIC)'),
        (doc('[\n {"name": "a", "type": "NET_BASIC"},\n\n {"name": "a", "type": "BLOCK_BASIC"}\n]'),
         7, '.devices[...]: duplicate device name "a" (first declared on line 5)'),
        (doc('[\n {"type": "NET_BASIC"}\n]'), 5, ".devices[...]: missing .name"),
        (doc('[\n {"name": "a"}\n]'), 5, ".devices[...]: missing .type"),
        (doc('[\n {"name": 7, "type": "NET_BASIC"}\n]'), 5,
         ".devices[...]: .name: expected a string, found 7"),
        (doc('[\n "a"\n]'), 5, '.devices[...]: expected an object, found "a"'),
        (doc('{}'), 4, ".devices: expected an array, found object"),
        (doc().replace('"version": 1,', '"version": 1,\n  "type": "solo5.manifest",'), 4,
         "(root): duplicate key: type"),
        ("[1, 2]", 1, "(root): expected an object, found array"),
        ('{\n  "type": "solo5.manifest",\n  "version": 1,,\n}', 3,
         "invalid JSON: expected a string as object key"),
        ('{\n  "type": "solo5.manifest\n', 2, "invalid JSON: control character in string"),
        ("", 1, "invalid JSON: unexpected end of input"),
        (doc() + "x", 6, "invalid JSON: trailing characters after the document"),
    ],
)
def test_errors_name_the_line(text: str, line: int, message: str) -> None:
    error = error_of(text)
    assert (error.line, error.message) == (line, message)
    assert str(error) == f"m.json:{line}: {message}"


def test_name_of_67_characters_is_accepted() -> None:
    name = "a" * abi.MFT_NAME_MAX
    mft = manifest.parse(doc(f'[{{"name": "{name}", "type": "NET_BASIC"}}]'), "m.json")
    assert mft.devices[0].name == name


def device_list(count: int) -> str:
    items = [f'    {{"name": "dev{i}", "type": "BLOCK_BASIC"}}' for i in range(count)]
    return "[\n" + ",\n".join(items) + "\n  ]"


def test_63_devices_are_the_maximum() -> None:
    assert len(manifest.parse(doc(device_list(63)), "m.json").devices) == 63


def test_64_devices_are_too_many() -> None:
    error = error_of(doc(device_list(64)))
    # devices start on line 5: the 64th is on line 5 + 63.
    assert (error.line, error.message) == (68, "too many entries, maximum 63")


def test_deep_nesting_is_a_clean_error() -> None:
    error = error_of("[" * 10000)
    assert error.message.startswith("invalid JSON: nested deeper than")


def test_load_reads_stdin(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import io
    import sys

    fake = io.TextIOWrapper(io.BytesIO(b'{"type": "solo5.manifest", "version": 2, "devices": []}'))
    monkeypatch.setattr(sys, "stdin", fake)
    with pytest.raises(manifest.ManifestError, match=r"^<stdin>:1: invalid version 2"):
        manifest.load("-")


def test_load_rejects_non_utf8(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "m.json"
    path.write_bytes(b'{\n"type": "\xff"}')
    with pytest.raises(manifest.ManifestError, match=r"m\.json:2: invalid JSON: not UTF-8"):
        manifest.load(str(path))


def test_model_rejects_invalid_devices() -> None:
    with pytest.raises(ValueError, match="duplicate device name"):
        manifest.Manifest((manifest.Device("a", "NET_BASIC"), manifest.Device("a", "NET_BASIC")))
    with pytest.raises(ValueError, match="unknown device type"):
        manifest.Manifest((manifest.Device("a", "NET"),))
    with pytest.raises(ValueError, match="too many entries, maximum 63"):
        manifest.Manifest(tuple(manifest.Device(f"d{i}", "NET_BASIC") for i in range(64)))


names = st.text(alphabet=ALNUM, min_size=1, max_size=abi.MFT_NAME_MAX)
devices = st.lists(
    st.tuples(names, st.sampled_from(sorted(abi.DEVICE_TYPES))),
    max_size=abi.MFT_MAX_DEVICES,
    unique_by=lambda d: d[0],
)


@given(devices, st.integers(min_value=0, max_value=4))
def test_any_valid_manifest_parses(devs: list[tuple[str, str]], indent: int) -> None:
    text = json.dumps(
        {"type": "solo5.manifest", "version": 1,
         "devices": [{"name": n, "type": t} for n, t in devs]},
        indent=indent or None,
    )
    assert manifest.parse(text, "m.json").devices == tuple(
        manifest.Device(n, t) for n, t in devs
    )


@given(st.text(min_size=1, max_size=80).filter(
    lambda s: not (all(c in ALNUM for c in s) and len(s) <= abi.MFT_NAME_MAX)))
def test_any_invalid_name_is_rejected(name: str) -> None:
    text = json.dumps({"type": "solo5.manifest", "version": 1,
                       "devices": [{"name": name, "type": "NET_BASIC"}]}, indent=1)
    error = error_of(text)
    assert error.message in ("name too long", "name is not alphanumeric")
    assert error.line == 6  # the line of the "name" value with indent=1


@given(st.integers().filter(lambda v: v != 1))
def test_any_other_version_is_rejected(version: int) -> None:
    error = error_of(doc().replace('"version": 1', f'"version": {version}'))
    assert error.message == f"invalid version {version}, expected 1"
