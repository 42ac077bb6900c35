"""Record: the base of the toolchain's small value classes.

It gives what @dataclass(frozen=True) would (equality, hash, repr, no change
after __init__) without importing dataclasses, whose own imports (inspect,
re, ...) cost an installed tool's start more than all the rest of what it
runs (docs/performance.md, "Toolchain").

A subclass lists its fields in __slots__ in constructor order (hence
`# noqa: RUF023`, which would sort them), annotates them, and its __init__
passes their values, in that order, to Record.__init__.
"""

from __future__ import annotations


class Record:
    """An immutable value made of the fields named in __slots__."""

    __slots__: tuple[str, ...] = ()

    def __init__(self, *values: object) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record) or type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        pairs = zip(self.__slots__, self._values(), strict=True)
        fields = ", ".join(f"{n}={v!r}" for n, v in pairs)
        return f"{type(self).__name__}({fields})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name}")
