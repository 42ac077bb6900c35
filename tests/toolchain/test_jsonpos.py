"""The position-tracking JSON reader agrees with the json module."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solo5_toolchain import jsonpos


def to_python(node: jsonpos.Node) -> Any:
    if node.kind == "object":
        return {m.key: to_python(m.value) for m in node.members}
    if node.kind == "array":
        return [to_python(item) for item in node.items]
    return node.value


documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(documents, st.sampled_from([None, 0, 2]), st.booleans())
def test_same_values_as_json_module(doc: Any, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    assert to_python(jsonpos.parse(text)) == json.loads(text)


@given(st.text(max_size=30))
def test_rejects_what_json_rejects(text: str) -> None:
    try:
        expected: Any = json.loads(text)
    except ValueError:
        with pytest.raises(jsonpos.JsonSyntaxError):
            jsonpos.parse(text)
        return
    if isinstance(expected, float) and expected != expected:  # json accepts NaN
        return
    try:
        got = to_python(jsonpos.parse(text))
    except jsonpos.JsonSyntaxError:
        # The json module accepts NaN/Infinity literals, which RFC 8259 does not.
        assert any(word in text for word in ("NaN", "Infinity"))
        return
    assert got == expected


def test_lines_of_keys_and_values() -> None:
    node = jsonpos.parse('{\n  "a":\n    [1,\n     "x"]\n}')
    member = node.members[0]
    assert (node.line, member.line, member.value.line) == (1, 2, 3)
    assert [item.line for item in member.value.items] == [3, 4]


def test_escapes() -> None:
    assert jsonpos.parse(r'"\u00e9\ud83d\ude00\n\/"').value == "\u00e9\U0001f600\n/"
    for bad in (r'"\ud83d"', r'"\x"', r'"\u12"', '"a'):
        with pytest.raises(jsonpos.JsonSyntaxError):
            jsonpos.parse(bad)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("NET_BASIC", '"NET_BASIC"'),  # as upstream prints it
        ("NET\nBASIC", '"NET\\nBASIC"'),
        ("a\x1b[31mred", '"a\\u001b[31mred"'),  # no terminal escape gets through
        ("\u009b2J", '"\\u009b2J"'),
        ('q"b\\c', '"q\\"b\\\\c"'),
        ("x" * 100, '"' + "x" * 80 + '"...'),
        ("héllo", '"héllo"'),
    ],
)
def test_quote_keeps_messages_on_one_printable_line(value: str, shown: str) -> None:
    assert jsonpos.quote(value) == shown
