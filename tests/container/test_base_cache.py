"""The Debian base's cache (support/debian_base.py): what keys it, when a
cached tarball is reused, remade, or removed. mmdebstrap itself is replaced
by a function that writes a marker: the real one runs in the image suite."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import debian_base


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The tarballs `cached_base` asked mmdebstrap for, in order."""
    calls: list[Path] = []

    def fake_make(tarball: Path, sources: Sequence[Path], options: Sequence[str]) -> None:
        calls.append(tarball)
        tarball.write_text(f"made {len(calls)}")

    monkeypatch.setattr(debian_base, "_make", fake_make)
    monkeypatch.setattr(debian_base, "why_unavailable", lambda: None)
    return calls


def test_a_fresh_tarball_is_reused(tmp_path: Path, made: list[Path]) -> None:
    first = debian_base.cached_base(tmp_path)
    assert debian_base.cached_base(tmp_path) == first
    assert made == [first]


def test_an_old_tarball_is_remade(tmp_path: Path, made: list[Path]) -> None:
    first = debian_base.cached_base(tmp_path)
    old = time.time() - debian_base.MAX_AGE - 60
    os.utime(first, (old, old))
    assert debian_base.cached_base(tmp_path) == first
    assert made == [first, first] and first.read_text() == "made 2"


def test_a_new_key_replaces_other_keys_tarballs_only(tmp_path: Path, made: list[Path]) -> None:
    stale = tmp_path / f"{debian_base.PREFIX}0123456789abcdef.tar"
    stale.write_text("another recipe's")
    other = tmp_path / "aarch64"
    other.mkdir()  # another suite's cache in the same directory
    tarball = debian_base.cached_base(tmp_path)
    assert made == [tarball] and not stale.exists() and other.is_dir()


def test_the_key_follows_sources_and_options(tmp_path: Path) -> None:
    sources = tmp_path / "debian.sources"
    sources.write_text("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n")
    key = debian_base.recipe_key([sources], [])
    assert debian_base.recipe_key([sources], []) == key
    assert debian_base.recipe_key([sources], ['Acquire::Check-Date "false"']) != key
    sources.write_text(sources.read_text().replace("deb.debian.org", "mirror.example"))
    assert debian_base.recipe_key([sources], []) != key


@pytest.mark.parametrize(
    ("line", "is_entry"),
    [
        ("deb http://deb.debian.org/debian bookworm main", True),
        ("Types: deb", True),
        ("Types: deb deb-src", True),
        ("deb-src http://deb.debian.org/debian bookworm main", False),
        ("Types: deb-src", False),
        ("# deb http://deb.debian.org/debian bookworm main", False),
        ("", False),
    ],
)
def test_source_entries(line: str, is_entry: bool) -> None:
    assert debian_base._is_entry(line) is is_entry
