"""solo5-elftool on the test unikernels as built (ref §6.3 "too_many_entries",
§4.7): what it reports about real binaries from the staged toolchain."""

from __future__ import annotations

import pytest
from support.guest import STAGE_BIN as BIN
from support.guest import TOP as CHECKOUT
from support.guest import GuestRun, guest_path, run

ELFTOOL = BIN / "solo5-elftool"


def elftool(*args: object) -> GuestRun:
    return run([ELFTOOL, *[str(a) for a in args]])


def test_too_many_entries_is_refused() -> None:
    manifest = CHECKOUT / "tests/guests/test_too_many_entries/manifest.json"
    result = elftool("gen-manifest", manifest, "/dev/null")
    assert result.status == 1, result.describe()
    assert "too many entries, maximum 63" in result.stderr, result.describe()
    assert result.stderr.count("\n") == 1, "one line, no traceback"


@pytest.mark.parametrize(
    ("guest", "target"),
    [("test_hello", "spt"), ("test_seccomp", "spt"), ("test_blk", "spt")],
)
def test_query_abi(guest: str, target: str) -> None:
    result = elftool("query-abi", guest_path(guest, target))
    assert result.status == 0, result.describe()
    assert result.stdout == (
        f'{{\n  "type": "solo5.abi",\n  "target": "{target}",\n  "version": 2\n}}\n'
    )


def test_query_abi_on_stub_link() -> None:
    kernel = guest_path("test_hello", "stub")
    result = elftool("query-abi", kernel)
    assert result.status == 1, result.describe()
    assert "No Solo5 ABI information found in executable" in result.stderr


def manifest_json(devices: list[tuple[str, str]]) -> str:
    lines = [
        f'    {{ "name": "{name}", "type": "{kind}" }}' + ("," if i < len(devices) - 1 else "")
        for i, (name, kind) in enumerate(devices)
    ]
    body = "".join(line + "\n" for line in lines)
    return f'{{\n  "type": "solo5.manifest",\n  "version": 1,\n  "devices": [\n{body}  ]\n}}\n'


@pytest.mark.parametrize(
    ("guest", "devices"),
    [
        ("test_hello", []),
        ("test_blk", [("storage", "BLOCK_BASIC")]),
        ("test_net_2if", [("service0", "NET_BASIC"), ("service1", "NET_BASIC")]),
        ("test_mft_maxdevices", [(f"storage{i}", "BLOCK_BASIC") for i in range(63)]),
    ],
    ids=["none", "block", "two-nets", "63-devices"],
)
def test_query_manifest(guest: str, devices: list[tuple[str, str]]) -> None:
    result = elftool("query-manifest", guest_path(guest, "spt"))
    assert result.status == 0, result.describe()
    assert result.stdout == manifest_json(devices)
