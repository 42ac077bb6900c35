"""Seed inputs and dictionaries for the harnesses, made at fuzz time from
the build and from the tests' own malformed cases (tests/support/elfgen.py),
never committed: they follow the ABI (toolchain/abi.py) as it changes.

`SEEDS[target](build)` yields (name, bytes); `DICTS[target]()` yields the
dictionary's entries (bytes).  Inputs follow each harness's layout, which
its C file (fuzz/fuzz_<target>.c) documents.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

from support import elfgen

from solo5_toolchain import abi

Seeds = Iterator[tuple[str, bytes]]

# fake_hvt.h: inputs land on the first guest page above the read-only text.
FAKE_HVT_DATA = abi.GUEST_MIN_BASE + abi.PAGE_SIZE
HC = {name.upper(): nr for name, nr in abi.HVT_HYPERCALLS.items()}
GUESTS = ("test_hello", "test_blk", "test_net_2if", "test_mft_maxdevices")


def _guests(build: Path) -> Seeds:
    for name in GUESTS:
        for tender in ("hvt", "spt"):
            path = build / "tests" / name / f"{name}.{tender}"
            if path.is_file():
                yield f"{name}.{tender}", path.read_bytes()


def _elfgen() -> Seeds:
    for name, case in sorted(elfgen.CASES.items()):
        yield f"elfgen_{name}", case.data
    yield "elfgen_guest", elfgen.guest()
    yield (
        "elfgen_guest_devices",
        elfgen.guest(devices=[("disk", "BLOCK_BASIC"), ("net", "NET_BASIC")]),
    )


def elf_seeds(build: Path) -> Seeds:
    yield from _guests(build)
    yield from _elfgen()


def _manifest(devices: list[tuple[str, str]]) -> bytes:
    entries = [elfgen.reserved()] + [
        elfgen.MftEntry(n.encode(), abi.DEVICE_TYPES[t]) for n, t in devices
    ]
    return elfgen.mft_bytes(entries)


MANIFESTS = {
    "empty": [],
    "blk": [("disk", "BLOCK_BASIC")],
    "both": [("disk", "BLOCK_BASIC"), ("net0", "NET_BASIC")],
    "max": [(f"d{i}", "NET_BASIC" if i % 2 else "BLOCK_BASIC") for i in range(abi.MFT_MAX_DEVICES)],
}


def mft_seeds(build: Path) -> Seeds:
    for name, devices in MANIFESTS.items():
        yield name, _manifest(devices)


def _calls(*calls: tuple[int, int]) -> bytes:
    """The 8 call records: (nr, offset of the argument struct in memory)."""
    out = b"".join(struct.pack("<BBI", nr, 1, off) for nr, off in calls)
    return out.ljust(8 * 6, b"\0")


def _at(memory: bytearray, offset: int, data: bytes) -> None:
    memory[offset : offset + len(data)] = data


def hypercall_seeds(build: Path) -> Seeds:
    buf = FAKE_HVT_DATA + 0x400
    q = struct.Struct("<QQQQi")
    cases = {
        "walltime": (HC["WALLTIME"], b"\0" * 8),
        "puts": (HC["PUTS"], struct.pack("<QQ", buf, 5)),
        "poll": (HC["POLL"], struct.pack("<QQi", 1000, 0, 0)),
        "block_write": (HC["BLOCK_WRITE"], q.pack(1, 512, buf, 512, 0)),
        "block_read": (HC["BLOCK_READ"], q.pack(3, 4096, buf, 4096, 0)),
        "net_write": (HC["NET_WRITE"], struct.pack("<QQQi", 2, buf, 60, 0)),
        "net_read": (HC["NET_READ"], struct.pack("<QQQi", 4, buf, 9014, 0)),
        "halt": (HC["HALT"], struct.pack("<Qi", 0, 7)),
        "halt_cookie": (HC["HALT"], struct.pack("<Qi", buf, 255)),
    }
    for name, (nr, arg) in cases.items():
        memory = bytearray(0x400 + 4096)
        _at(memory, 0, arg)
        yield name, _calls((nr, 0)) + bytes(memory)
    memory = bytearray(0x1400)
    _at(memory, 0x0, struct.pack("<QQ", buf, 5))
    _at(memory, 0x40, q.pack(1, 0, buf, 1024, 0))
    _at(memory, 0x80, struct.pack("<QQQi", 2, buf, 60, 0))
    _at(memory, 0xC0, struct.pack("<Qi", 0, 0))
    yield (
        "sequence",
        _calls(
            (HC["PUTS"], 0), (HC["BLOCK_READ"], 0x40), (HC["NET_WRITE"], 0x80), (HC["HALT"], 0xC0)
        )
        + bytes(memory),
    )


def ring_seeds(build: Path) -> Seeds:
    serve = b"\0"
    block = struct.pack("<BBIBIIB", 5, 1, 1024, 1, 0x800, 1024, abi.HVT_RING_BLOCK_READ)
    yield "block", block + serve
    yield (
        "block_write",
        struct.pack("<BBIBIIB", 5, 3, 0, 1, 0, 4096, abi.HVT_RING_BLOCK_WRITE) + serve,
    )
    frame = struct.pack("<BBBHB", 2, 0, 0, 60, 0xAB) + struct.pack("<BBB", 6, 0, 1)
    yield "tx", frame + serve
    yield (
        "rx",
        b"\x04" + struct.pack("<BBH", 3, 0, 60) + serve + struct.pack("<BBB", 7, 0, 1) + serve,
    )
    yield "everything", b"\x04" + block + frame + struct.pack("<BBH", 3, 1, 9000) + serve * 2


def _packet(data: str) -> bytes:
    return f"${data}#{sum(data.encode()) % 256:02x}".encode()


GDB_SESSION = [
    "qSupported:multiprocess+;swbreak+;hwbreak+",
    "qXfer:features:read:target.xml:0,fff",
    "?",
    "qAttached",
    "Hg0",
    "g",
    "p10",
    f"m{FAKE_HVT_DATA:x},40",
    f"M{FAKE_HVT_DATA:x},4:01020304",
    f"Z0,{FAKE_HVT_DATA:x},1",
    f"Z2,{FAKE_HVT_DATA + 8:x},8",
    f"z0,{FAKE_HVT_DATA:x},1",
    "P10=0000100000000000",
    "s",
]


def gdb_seeds(build: Path) -> Seeds:
    script = bytes([0, 1, 2, 0x80, 1, 0, 3, 4])
    session = b"+" + b"".join(_packet(p) + b"+" for p in GDB_SESSION)
    yield "session", script + session
    yield "detach", script + b"+" + _packet("g") + b"+" + _packet("D") + b"+"
    yield "kill", script + _packet("vKill;1") + b"+"
    yield "interrupt", bytes([2] * 8) + _packet("c") + b"+\x03+" + _packet("k")
    yield "bad_checksum", script + b"$g#00" + _packet("g") + b"+"


def spt_boot_seeds(build: Path) -> Seeds:
    for name, devices in MANIFESTS.items():
        mft = _manifest(devices)
        head = struct.pack("<H", len(mft)) + mft + struct.pack("<BQQ", 0xFF, 512 << 20, 0x200000)
        yield name, head + b"guest\0--arg\0value"
    mft = _manifest([])
    long_args = b"\0".join([b"x" * 4000, b"y" * 4000, b"z" * 190])
    yield "long", struct.pack("<H", len(mft)) + mft + bytes(17) + long_args


def block_seeds(build: Path) -> Seeds:
    devices = struct.pack("<BBIBIBI", 2, 0, 127, 3, 15, 6, 0)
    req = struct.Struct("<BBQQ")
    yield "reads", devices + req.pack(0, 0, 512, 0) + req.pack(1, 1, 4096, 4096 * 15)
    yield "edges", devices + req.pack(0, 0, 512, 512 * 127) + req.pack(0, 0, 1024, 512 * 127)
    yield "net", devices + req.pack(3, 2, 1514, 0) + req.pack(4, 0, 512, 0)


# fuzz_seccomp.c's input: its value encoding, system call set and enums.
SECCOMP_EDGES = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32, 0xFFFFFFFF << 32, (1 << 64) - 1)
SECCOMP_NRS = (0, 1, 2, 3, 16, 231, 0x7FFFFFFF, 0xFFFFFFFF)
SV_CONST, SV_EPOLLFD, SV_TIMERFD, SV_VCPUFD, SV_DEV_FD, SV_DEV_CAPACITY = range(6)
CMP_EQ, CMP_LT = 0, 1
NET, BLOCK, DETACHED = 0, 1, 4

# (system call, [(argument, operator, value source, constant)]).
Rule = tuple[int, list[tuple[int, int, int, int]]]
# The core, extra, NET and BLOCK tables.
Tables = tuple[list[Rule], list[Rule], list[Rule], list[Rule]]


def _sv(v: int) -> bytes:
    if v < 16:
        return bytes([v])
    if v in SECCOMP_EDGES:
        return bytes([0x40 + SECCOMP_EDGES.index(v)])
    return b"\x80" + struct.pack("<Q", v)


def _rules(rules: list[Rule]) -> bytes:
    out = b""
    for nr, cmps in rules:
        out += bytes([SECCOMP_NRS.index(nr), len(cmps)])
        for arg, op, src, k in cmps:
            out += bytes([arg, op, src]) + _sv(k)
    return out


def _policy(
    tables: Tables,
    devices: list[tuple[int, int, int]],
    values: tuple[int, int, int] = (20, 21, 22),
    room: int = 2,
) -> bytes:
    core, extra, net, block = tables
    sizes = len(net) | len(block) << 2 | len(extra) << 4
    out = bytes([len(core), sizes, len(devices), room]) + b"".join(map(_sv, values))
    for kind, fd, capacity in devices:
        out += bytes([kind]) + _sv(fd) + _sv(capacity)
    return out + _rules(core) + _rules(extra) + _rules(net) + _rules(block)


def _probe(nr: int, args: tuple[int, ...], arch: int = 0) -> bytes:
    return bytes([SECCOMP_NRS.index(nr), arch]) + b"".join(_sv(a) for a in args)


def seccomp_seeds(build: Path) -> Seeds:
    fd_is = (0, CMP_EQ, SV_DEV_FD, 0)
    hvt_like: Tables = (
        [
            (16, [(0, CMP_EQ, SV_VCPUFD, 0), (1, CMP_EQ, SV_CONST, 0xAE80)]),
            (1, [(0, CMP_EQ, SV_CONST, 1)]),
            (1, [(0, CMP_EQ, SV_CONST, 2)]),
            (231, []),
            (3, [(0, CMP_EQ, SV_EPOLLFD, 0)]),
        ],
        [(16, [(0, CMP_EQ, SV_CONST, 9), (1, CMP_EQ, SV_CONST, 0x4090AE82)])],
        [(0, [fd_is]), (1, [fd_is])],
        [(2, [fd_is, (3, CMP_LT, SV_DEV_CAPACITY, 0)]), (3, [fd_is])],
    )
    devices = [(NET, 5, 0), (BLOCK, 6, 1 << 32), (BLOCK, 7, 0xFFFFFFFF), (NET | DETACHED, 8, 0)]
    probes = _probe(16, (22, 0xAE80, 0, 0, 0, 0)) + _probe(2, (6, 0, 0, 0xFFFFFFFF, 0, 0))
    yield "hvt_like", _policy(hvt_like, devices) + probes
    edges: Tables = (
        [
            (0, [(2, CMP_LT, SV_CONST, 1 << 32), (2, CMP_LT, SV_CONST, 0xFFFFFFFF << 32)]),
            (0, [(4, CMP_EQ, SV_CONST, (1 << 64) - 1)]),
            (0x7FFFFFFF, [(5, CMP_LT, SV_CONST, 0), (5, CMP_EQ, SV_CONST, 0)]),
            (0xFFFFFFFF, [(1, CMP_LT, SV_CONST, 0x80000001)]),
        ],
        [],
        [],
        [(0, [(3, CMP_LT, SV_DEV_CAPACITY, 0), (3, CMP_EQ, SV_DEV_FD, 0)])],
    )
    yield "edges", _policy(edges, [(BLOCK, 0, 0), (BLOCK, 1, (1 << 64) - 1)], room=0xF3)
    # A NET rule naming the capacity: to be refused.
    refused = _policy(([], [], [(0, [])], []), [])
    yield "refused", refused[:-1] + bytes([1, 0, 0, 0xFF, 0])
    yield "empty", _policy(([], [], [], []), []) + _probe(0, (0,) * 6, arch=0x40)


def elftool_seeds(build: Path) -> Seeds:
    for name, data in [*_elfgen(), *_guests(build)]:
        yield f"abi_{name}", b"\0" + data
        yield f"mft_{name}", b"\1" + data
    guests = Path(__file__).resolve().parent.parent / "tests" / "guests"
    for path in sorted(guests.glob("*/manifest.json")):
        yield f"json_{path.parent.name}", b"\2" + path.read_bytes()


def _u32(v: int) -> bytes:
    return struct.pack("<I", v)


def elf_dict() -> Iterator[bytes]:
    yield b"\x7fELF"
    yield abi.NOTE_OWNER.encode() + b"\0\0\0"
    for v in (abi.ABI1_NOTE_TYPE, abi.MFT1_NOTE_TYPE, elfgen.PT_LOAD, elfgen.PT_NOTE):
        yield _u32(v)
    yield struct.pack("<HH", elfgen.ET_EXEC, elfgen.EM_X86_64)
    yield struct.pack("<Q", abi.GUEST_MIN_BASE)
    yield from mft_dict()


def mft_dict() -> Iterator[bytes]:
    for v in (abi.MFT_VERSION, abi.MFT_RESERVED_FIRST, *abi.DEVICE_TYPES.values()):
        yield _u32(v)


def gdb_dict() -> Iterator[bytes]:
    for word in (
        "$",
        "#",
        "+",
        "-",
        "\x03",
        "qSupported",
        "qXfer:features:read:target.xml:",
        "qAttached",
        "vKill",
        "Z0,",
        "Z1,",
        "Z2,",
        "Z3,",
        "Z4,",
        "z0,",
        "z2,",
        ",",
        ":",
        "=",
        ";",
        f"{FAKE_HVT_DATA:x}",
    ):
        yield word.encode()


def json_dict() -> Iterator[bytes]:
    for word in (
        '"type"',
        '"solo5.manifest"',
        '"version"',
        '"devices"',
        '"name"',
        *(f'"{t}"' for t in abi.DEVICE_TYPES),
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\\u",
    ):
        yield word.encode()
    yield from elf_dict()


SEEDS: dict[str, Callable[[Path], Seeds]] = {
    "elf": elf_seeds,
    "mft": mft_seeds,
    "hypercall": hypercall_seeds,
    "ring": ring_seeds,
    "block": block_seeds,
    "seccomp": seccomp_seeds,
    "gdb": gdb_seeds,
    "spt_boot": spt_boot_seeds,
    "elftool": elftool_seeds,
}

DICTS: dict[str, Callable[[], Iterator[bytes]]] = {
    "elf": elf_dict,
    "mft": mft_dict,
    "spt_boot": mft_dict,
    "gdb": gdb_dict,
    "elftool": json_dict,
}


def dict_text(entries: Iterator[bytes]) -> str:
    """libFuzzer's dictionary format: one quoted, \\xNN-escaped entry a line."""
    lines = []
    for entry in entries:
        text = "".join(
            chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in entry
        )
        lines.append(f'"{text}"')
    return "\n".join(lines) + "\n"
