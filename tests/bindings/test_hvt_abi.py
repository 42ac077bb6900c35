"""The rendered hvt_abi.h agrees with toolchain/abi.py, for guest and host.

The header is dual-use: with HVT_HOST (the tender) guest pointers become
64-bit addresses, without it (the bindings) real pointers.  Both views must
have the layouts of ref §2.6-2.7, which abi.py records; the C compiler checks
them here with _Static_assert, so a drift on either side fails the build of
this small program.
"""

import subprocess
from pathlib import Path

import pytest
from support.paths import BUILD

from solo5_toolchain import abi, targets


def hvt_abi_checks() -> str:
    lines = [
        "#include <stddef.h>",
        '#include "hvt_abi.h"',
        "#define CHECK(e) _Static_assert(e, #e)",
        f"CHECK(HVT_ABI_VERSION == {targets.TARGETS['hvt'].abi_version});",
        f"CHECK(HVT_ABI_TARGET == {targets.TARGETS['hvt'].abi_target});",
        f"CHECK(HVT_GUEST_MIN_BASE == {abi.GUEST_MIN_BASE});",
        f"CHECK(HVT_BOOT_INFO_BASE == {abi.HVT_BOOT_INFO_BASE});",
        f"CHECK(HVT_CMDLINE_SIZE == {abi.HVT_CMDLINE_SIZE});",
        f"CHECK(HVT_HALT_COOKIE_MAX == {abi.HVT_HALT_COOKIE_MAX});",
        f"CHECK(HVT_FEATURE_RING_IO == {abi.HVT_FEATURE_RING_IO});",
        f"CHECK(HVT_FEATURE_USER_MODE == {abi.HVT_FEATURE_USER_MODE});",
        f"CHECK(HVT_FEATURE_IO_RINGS == {abi.HVT_FEATURE_IO_RINGS});",
        f"CHECK(HVT_FEATURE_FSGSBASE == {abi.HVT_FEATURE_FSGSBASE});",
        f"CHECK(HVT_RING_KICK_PORT == {abi.HVT_RING_KICK_PORT});",
        f"CHECK(HVT_RING_SLOTS == {abi.HVT_RING_SLOTS});",
        f"CHECK(HVT_USER_START_OFFSET == {abi.HVT_USER_START_OFFSET});",
        f"CHECK(HVT_USER_START_MAGIC == {abi.HVT_USER_START_MAGIC}ULL);",
        f"CHECK(HVT_USER_START_SEL_CODE == {abi.HVT_USER_START_SEL_CODE});",
        f"CHECK(HVT_USER_START_SEL_DATA == {abi.HVT_USER_START_SEL_DATA});",
        f"CHECK(HVT_USER_START_SEL_TSS == {abi.HVT_USER_START_SEL_TSS});",
        f"CHECK(HVT_RING_SLOT_HDR == {abi.HVT_RING_SLOT_HDR});",
        f"CHECK(HVT_RING_NET_MAX == {abi.HVT_RING_NET_MAX});",
        f"CHECK(HVT_RING_CONSOLE_SIZE == {abi.HVT_RING_CONSOLE_SIZE});",
        f"CHECK(HVT_RING_BLOCK_READ == {abi.HVT_RING_BLOCK_READ});",
        f"CHECK(HVT_BUSY_POLL_US_DEFAULT == {abi.HVT_BUSY_POLL_US_DEFAULT});",
        f"CHECK(HVT_BUSY_POLL_US_MAX == {abi.HVT_BUSY_POLL_US_MAX});",
        f"CHECK(HVT_RING_BLOCK_WRITE == {abi.HVT_RING_BLOCK_WRITE});",
        "CHECK(sizeof(((struct hvt_ring_area *)0)->net) / "
        "sizeof(struct hvt_ring_net) == HVT_RING_NET_MAX);",
        f"CHECK(HVT_HYPERCALL_PIO_COUNT == {abi.HVT_HYPERCALL_PIO_COUNT});",
        f"CHECK(HVT_HYPERCALL_PIO_BASE == {abi.HVT_HYPERCALL_PIO_BASE});",
        f"CHECK(HVT_HYPERCALL_MAX == {abi.HVT_HYPERCALL_MAX});",
        f"CHECK(HVT_MMIO_BASE == {abi.HVT_MMIO_BASE}ULL);",
        f"CHECK(HVT_MMIO_SIZE == {abi.HVT_MMIO_SIZE}ULL);",
        f"CHECK(HVT_HYPERCALL_MMIO_BASE == {abi.HVT_HYPERCALL_MMIO_BASE}ULL);",
        f"CHECK(HVT_RING_KICK_MMIO == {abi.HVT_RING_KICK_MMIO}ULL);",
        "CHECK(HVT_HYPERCALL_RESERVED == 0);",
    ]
    for name, nr in abi.HVT_HYPERCALLS.items():
        lines.append(f"CHECK(HVT_HYPERCALL_{name} == {nr});")
        lines.append(f"CHECK(HVT_HYPERCALL_ADDRESS({nr}) == {abi.HVT_HYPERCALL_PIO_BASE + nr});")
        mmio = abi.HVT_HYPERCALL_MMIO_BASE + (nr << abi.HVT_HYPERCALL_MMIO_SHIFT)
        lines.append(f"CHECK(HVT_HYPERCALL_MMIO_ADDRESS({nr}) == {mmio}ULL);")
    for struct, (fields, size) in abi.HVT_STRUCTS.items():
        lines.append(f"CHECK(sizeof(struct {struct}) == {size});")
        for field, offset in fields:
            lines.append(f"CHECK(offsetof(struct {struct}, {field}) == {offset});")
    lines.append(f"CHECK(sizeof(struct hvt_trap_frame_x86_64) == {abi.HVT_TRAP_FRAME_SIZE});")
    for i, field in enumerate(abi.HVT_TRAP_FRAME_FIELDS):
        lines.append(f"CHECK(offsetof(struct hvt_trap_frame_x86_64, {field}) == {8 * i});")
    lines.append(f"CHECK(sizeof(struct hvt_trap_frame_x86_64) <= {abi.HVT_HALT_COOKIE_MAX});")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("side", ["guest", "host"])
def test_hvt_abi_layouts(top: Path, tmp_path: Path, side: str) -> None:
    include = BUILD / "stage" / "include" / "solo5"
    if not (include / "hvt_abi.h").is_file():
        pytest.fail(f"{include / 'hvt_abi.h'} is not rendered: run `scons -j2`")
    source = tmp_path / "check.c"
    source.write_text(hvt_abi_checks())
    defines = ["-DHVT_HOST"] if side == "host" else []
    result = subprocess.run(
        ["cc", "-std=c11", "-Wall", "-Werror", *defines, "-I", str(include), "-c", str(source),
         "-o", str(tmp_path / "check.o")],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_check_catches_a_drift(top: Path, tmp_path: Path) -> None:
    """A wrong expectation must fail to compile (the test can fail)."""
    include = BUILD / "stage" / "include" / "solo5"
    source = tmp_path / "bad.c"
    source.write_text(hvt_abi_checks() + "CHECK(offsetof(struct hvt_boot_info, mft) == 40);\n")
    result = subprocess.run(
        ["cc", "-std=c11", "-I", str(include), "-c", str(source), "-o", str(tmp_path / "b.o")],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "hvt_boot_info, mft" in result.stderr


def test_io_rings_bit_is_ours() -> None:
    """Not upstream's RING_IO (bit 0, whose protocol we do not implement),
    and distinct from every other bit; the kick port is a port the guest's
    I/O bitmap opens but no hypercall uses."""
    bits = [abi.HVT_FEATURE_RING_IO, abi.HVT_FEATURE_USER_MODE, abi.HVT_FEATURE_IO_RINGS]
    assert abi.HVT_FEATURE_IO_RINGS != abi.HVT_FEATURE_RING_IO
    assert len(set(bits)) == 3 and all(b & (b - 1) == 0 for b in bits)
    kick = abi.HVT_RING_KICK_PORT - abi.HVT_HYPERCALL_PIO_BASE
    # A 32-bit `out` needs all four of its ports open in the I/O bitmap.
    assert kick >= abi.HVT_HYPERCALL_MAX and kick + 4 <= abi.HVT_HYPERCALL_PIO_COUNT
    assert abi.HVT_RING_SLOTS & (abi.HVT_RING_SLOTS - 1) == 0
    assert abi.HVT_RING_CONSOLE_SIZE & (abi.HVT_RING_CONSOLE_SIZE - 1) == 0
    assert abi.HVT_RING_NET_MAX >= abi.MFT_MAX_ENTRIES


def test_mmio_window_is_above_ram_and_holds_every_address() -> None:
    """aarch64: RAM (at most 4 GiB, hvt's maximum) ends where the window
    starts, and every hypercall address and the kick lie inside it, apart
    from each other."""
    top_hypercall = abi.HVT_HYPERCALL_MMIO_BASE + (
        abi.HVT_HYPERCALL_MAX << abi.HVT_HYPERCALL_MMIO_SHIFT
    )
    assert abi.HVT_MMIO_BASE == 4 << 30
    assert abi.HVT_MMIO_BASE <= abi.HVT_HYPERCALL_MMIO_BASE < top_hypercall
    assert top_hypercall <= abi.HVT_RING_KICK_MMIO < abi.HVT_MMIO_BASE + abi.HVT_MMIO_SIZE
