"""A small JSON reader that remembers the line of every value and key.

The standard json module forgets positions once it has parsed a document, but
manifest errors must point at the offending element (`<file>:<line>: ...`).
This reader accepts exactly RFC 8259 JSON and returns a tree of `Node`s.
"""

from __future__ import annotations

# Deep enough for any manifest; shallow enough to never hit Python's recursion limit.
MAX_DEPTH = 64

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WHITESPACE = " \t\r\n"

JsonScalar = str | int | float | bool | None


class JsonSyntaxError(Exception):
    """Malformed JSON; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class Member:
    """One `"key": value` pair of an object."""

    __slots__ = ("key", "line", "value")

    def __init__(self, key: str, line: int, value: Node) -> None:
        self.key = key
        self.line = line
        self.value = value


class Node:
    """A JSON value and the line it starts on.

    `kind` is one of object, array, string, number, bool, null.  Objects keep
    their members in document order (duplicates included: the caller decides);
    arrays keep their items.  (Plain classes, not dataclasses: solo5-elftool
    imports this at every gen-manifest, docs/performance.md "Toolchain".)
    """

    __slots__ = ("items", "kind", "line", "members", "value")

    def __init__(self, kind: str, line: int, value: JsonScalar = None) -> None:
        self.kind = kind
        self.line = line
        self.value = value
        self.members: list[Member] = []
        self.items: list[Node] = []

    def describe(self) -> str:
        """How the value reads in an error message."""
        if self.kind == "string":
            return quote(str(self.value))
        if self.kind == "bool":
            return "true" if self.value else "false"
        if self.kind in ("number",):
            return str(self.value)
        return self.kind


QUOTE_LIMIT = 80


def _quote_char(c: str) -> str:
    if c in '"\\' or ord(c) < 0x20:
        import json  # only for a message, and only for these characters

        return json.dumps(c)[1:-1]  # \", \\, \n, \u001b, ...
    if not c.isprintable():
        return f"\\u{ord(c):04x}"
    return c


def quote(value: str) -> str:
    """`value` in double quotes for a one-line message: control and other
    unprintable characters escaped (no newline or terminal escape sequence
    gets through), cut short after QUOTE_LIMIT characters.  A plain name
    reads as "NET_BASIC", as upstream prints it."""
    text = "".join(_quote_char(c) for c in value[:QUOTE_LIMIT])
    return f'"{text}"' + ("..." if len(value) > QUOTE_LIMIT else "")


def _scan_number(text: str, pos: int) -> tuple[int, bool] | None:
    """The end of the longest JSON number (RFC 8259: -?(0|[1-9][0-9]*)
    (.[0-9]+)?([eE][+-]?[0-9]+)?) at `pos` and whether it has a fraction or
    an exponent; None if none starts there.  (By hand: importing re costs
    gen-manifest a quarter of its run.)"""
    start = pos + 1 if text.startswith("-", pos) else pos
    end = _digits_end(text, start)
    if end == start:
        return None
    if text[start] == "0":
        end = start + 1  # a leading zero stands alone
    is_float = False
    if text.startswith(".", end) and _digits_end(text, end + 1) > end + 1:
        end, is_float = _digits_end(text, end + 1), True
    if text[end : end + 1] in ("e", "E"):
        digits = end + 2 if text[end + 1 : end + 2] in ("+", "-") else end + 1
        if _digits_end(text, digits) > digits:
            end, is_float = _digits_end(text, digits), True
    return end, is_float


def _digits_end(text: str, pos: int) -> int:
    """The end of the run of ASCII digits at `pos`."""
    while pos < len(text) and "0" <= text[pos] <= "9":
        pos += 1
    return pos


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def fail(self, message: str) -> JsonSyntaxError:
        return JsonSyntaxError(self.line, f"invalid JSON: {message}")

    def skip_space(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos] in _WHITESPACE:
            if text[self.pos] == "\n":
                self.line += 1
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "end of input"
            raise self.fail(f"expected '{char}', found {found}")
        self.pos += 1

    def value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels")
        self.skip_space()
        char = self.peek()
        line = self.line
        if char == "{":
            return self.obj(depth)
        if char == "[":
            return self.array(depth)
        if char == '"':
            return Node("string", line, self.string())
        for word, kind, scalar in (("true", "bool", True), ("false", "bool", False),
                                   ("null", "null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return Node(kind, line, scalar)
        scanned = _scan_number(self.text, self.pos)
        if scanned is not None:
            end, is_float = scanned
            literal = self.text[self.pos : end]
            self.pos = end
            try:
                number: int | float = float(literal) if is_float else int(literal)
            except ValueError:  # more digits than Python converts
                raise self.fail(f"number too long ({len(literal)} characters)") from None
            return Node("number", line, number)
        if not char:
            raise self.fail("unexpected end of input")
        raise self.fail(f"unexpected character {char!r}")

    def obj(self, depth: int) -> Node:
        node = Node("object", self.line)
        self.expect("{")
        self.skip_space()
        if self.peek() == "}":
            self.pos += 1
            return node
        while True:
            self.skip_space()
            if self.peek() != '"':
                raise self.fail("expected a string as object key")
            key_line = self.line
            key = self.string()
            self.skip_space()
            self.expect(":")
            node.members.append(Member(key, key_line, self.value(depth + 1)))
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("}")
            return node

    def array(self, depth: int) -> Node:
        node = Node("array", self.line)
        self.expect("[")
        self.skip_space()
        if self.peek() == "]":
            self.pos += 1
            return node
        while True:
            node.items.append(self.value(depth + 1))
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.expect("]")
            return node

    def string(self) -> str:
        self.expect('"')
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.fail("unterminated string")
            char = text[self.pos]
            self.pos += 1
            if char == '"':
                return "".join(out)
            if char == "\\":
                out.append(self.escape())
            elif ord(char) < 0x20:
                raise self.fail("control character in string")
            else:
                out.append(char)

    def escape(self) -> str:
        char = self.peek()
        self.pos += 1
        if char in _ESCAPES:
            return _ESCAPES[char]
        if char != "u":
            # Escaped like every echoed value: a backslash before a
            # newline must not split the one-line message.
            raise self.fail(f"invalid escape '\\{_quote_char(char)}'")
        code = self.hex4()
        if 0xD800 <= code < 0xDC00 and self.text.startswith("\\u", self.pos):
            self.pos += 2
            low = self.hex4()
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
            raise self.fail("invalid UTF-16 surrogate pair")
        if 0xD800 <= code < 0xE000:
            raise self.fail("unpaired UTF-16 surrogate")
        return chr(code)

    def hex4(self) -> int:
        digits = self.text[self.pos : self.pos + 4]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise self.fail("invalid \\u escape")
        self.pos += 4
        return int(digits, 16)


def parse(text: str) -> Node:
    """Parse one JSON document; raises JsonSyntaxError with the line at fault."""
    reader = _Reader(text)
    node = reader.value(0)
    reader.skip_space()
    if reader.pos != len(text):
        raise reader.fail("trailing characters after the document")
    return node
