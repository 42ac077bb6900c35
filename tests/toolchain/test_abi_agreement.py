"""C and Python agree: sizes, offsets and constants of the rendered headers equal
toolchain/abi.py, and the note the generated C declares is byte for byte the note
solo5_toolchain.notes encodes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from solo5_toolchain import abi, elftool, manifest, notes, targets

PROGRAM = r"""
#include <stdio.h>
#include <stddef.h>
#include "mft_abi.h"
#include "spt_abi.h"

ABI1_NOTE_DECLARE_BEGIN {
    .abi_target = ABI1_TARGET_SPT, .abi_version = SPT_ABI_VERSION
} ABI1_NOTE_DECLARE_END
OPENBSD_NOTE_DECLARE

/* Defined by the generated manifest.c (struct mft1_note needs MFT_ENTRIES). */
extern const unsigned char __solo5_mft1_note[];
size_t mft1_note_size(void);

#define V(x) printf("%s %llu\n", #x, (unsigned long long)(x))

static void dump(const char *name, const void *p, size_t n)
{
    printf("%s ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", ((const unsigned char *)p)[i]);
    printf("\n");
}

int main(void)
{
    V(sizeof(struct mft_entry));
    V(offsetof(struct mft_entry, name));
    V(offsetof(struct mft_entry, type));
    V(offsetof(struct mft_entry, u));
    V(offsetof(struct mft_entry, b));
    V(offsetof(struct mft_entry, attached));
    V(sizeof(struct mft));
    V(offsetof(struct mft, e));
    V(sizeof(struct mft_block_basic));
    V(offsetof(struct mft_block_basic, block_size));
    V(sizeof(struct mft_net_basic));
    V(offsetof(struct mft_net_basic, mtu));
    V(sizeof(struct abi1_info));
    V(sizeof(struct spt_boot_info));
    V(offsetof(struct spt_boot_info, cmdline));
    V(offsetof(struct spt_boot_info, mft));
    V(offsetof(struct spt_boot_info, epollfd));
    V(offsetof(struct spt_boot_info, timerfd));
    V(MFT1_NOTE_TYPE);
    V(ABI1_NOTE_TYPE);
    V(OPENBSD_NOTE_TYPE);
    V(MFT_VERSION);
    V(MFT_DEV_BLOCK_BASIC);
    V(MFT_DEV_NET_BASIC);
    V(MFT_RESERVED_FIRST);
    V(MFT_NAME_SIZE);
    V(MFT_NAME_MAX);
    V(MFT_MAX_ENTRIES);
    V(MFT1_NOTE_ALIGN);
    V(MFT1_NOTE_MAX_SIZE);
    V(ABI1_NOTE_ALIGN);
    V(ABI1_NOTE_MAX_SIZE);
    V(SPT_ABI_VERSION);
    V(SPT_ABI_TARGET);
    V(SPT_GUEST_MIN_BASE);
    V(SPT_HOST_MEM_BASE);
    V(SPT_BOOT_INFO_BASE);
    V(SPT_CMDLINE_SIZE);
    V(SPT_INTERNAL_TIMERFD);
    V(SPT_BLOCK_LEVEL_SHIFT);
    V(SPT_BLOCK_LEVELS);
@TARGETS@
    dump("abi1_note", &__solo5_abi1_note, sizeof(__solo5_abi1_note));
    dump("openbsd_note", &__solo5_openbsd_note, sizeof(__solo5_openbsd_note));
    dump("mft1_note", __solo5_mft1_note, mft1_note_size());
    return 0;
}
"""

DEVICES = (manifest.Device("net0", "NET_BASIC"), manifest.Device("storage", "BLOCK_BASIC"))


@pytest.fixture(scope="module")
def c_values(stage: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("abi")
    target_lines = "\n".join(
        f"    V(ABI1_TARGET_{name.upper()});" for name in abi.ABI_TARGET_NAMES.values()
    )
    (tmp / "main.c").write_text(PROGRAM.replace("@TARGETS@", target_lines))
    (tmp / "manifest.c").write_text(
        elftool.generate_c(manifest.Manifest(DEVICES))
        + "size_t mft1_note_size(void);\n"
        + "size_t mft1_note_size(void) { return sizeof(__solo5_mft1_note); }\n"
    )
    cmd = ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(stage / "include" / "solo5"),
           "main.c", "manifest.c", "-o", "abi"]
    built = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    out = subprocess.run([str(tmp / "abi")], capture_output=True, text=True, check=True).stdout
    return dict(line.rsplit(" ", 1) for line in out.splitlines())


def test_layouts(c_values: dict[str, str]) -> None:
    got = {k: int(v) for k, v in c_values.items() if not k.endswith("_note")}
    assert got["sizeof(struct mft_entry)"] == abi.MFT_ENTRY_SIZE
    for field, offset in abi.MFT_ENTRY_OFFSETS.items():
        assert got[f"offsetof(struct mft_entry, {field})"] == offset
    assert got["sizeof(struct mft)"] == abi.MFT_HEADER_SIZE
    assert got["offsetof(struct mft, e)"] == abi.MFT_HEADER_SIZE
    assert got["sizeof(struct mft_block_basic)"] == 16
    assert got["offsetof(struct mft_block_basic, block_size)"] == 8
    assert got["sizeof(struct mft_net_basic)"] == 8
    assert got["offsetof(struct mft_net_basic, mtu)"] == 6
    assert got["sizeof(struct abi1_info)"] == abi.ABI1_DESC_SIZE
    assert got["sizeof(struct spt_boot_info)"] == abi.SPT_BOOT_INFO_SIZE
    assert [got[f"offsetof(struct spt_boot_info, {f})"] for f in
            ("cmdline", "mft", "epollfd", "timerfd")] == [16, 24, 32, 36]


def test_constants(c_values: dict[str, str]) -> None:
    python = {
        "MFT1_NOTE_TYPE": abi.MFT1_NOTE_TYPE,
        "ABI1_NOTE_TYPE": abi.ABI1_NOTE_TYPE,
        "OPENBSD_NOTE_TYPE": abi.OPENBSD_NOTE_TYPE,
        "MFT_VERSION": abi.MFT_VERSION,
        "MFT_DEV_BLOCK_BASIC": abi.MFT_DEV_BLOCK_BASIC,
        "MFT_DEV_NET_BASIC": abi.MFT_DEV_NET_BASIC,
        "MFT_RESERVED_FIRST": abi.MFT_RESERVED_FIRST,
        "MFT_NAME_SIZE": abi.MFT_NAME_SIZE,
        "MFT_NAME_MAX": abi.MFT_NAME_MAX,
        "MFT_MAX_ENTRIES": abi.MFT_MAX_ENTRIES,
        "MFT1_NOTE_ALIGN": abi.MFT1_NOTE_ALIGN,
        "MFT1_NOTE_MAX_SIZE": abi.MFT1_NOTE_MAX_SIZE,
        "ABI1_NOTE_ALIGN": abi.ABI1_NOTE_ALIGN,
        "ABI1_NOTE_MAX_SIZE": abi.ABI1_NOTE_MAX_SIZE,
        "SPT_ABI_VERSION": targets.TARGETS["spt"].abi_version,
        "SPT_ABI_TARGET": targets.TARGETS["spt"].abi_target,
        "SPT_GUEST_MIN_BASE": abi.GUEST_MIN_BASE,
        "SPT_HOST_MEM_BASE": abi.SPT_HOST_MEM_BASE,
        "SPT_BOOT_INFO_BASE": abi.SPT_BOOT_INFO_BASE,
        "SPT_CMDLINE_SIZE": abi.SPT_CMDLINE_SIZE,
        "SPT_INTERNAL_TIMERFD": abi.SPT_INTERNAL_TIMERFD,
        "SPT_BLOCK_LEVEL_SHIFT": abi.SPT_BLOCK_LEVEL_SHIFT,
        "SPT_BLOCK_LEVELS": abi.SPT_BLOCK_LEVELS,
    }
    python.update({f"ABI1_TARGET_{n.upper()}": i for i, n in abi.ABI_TARGET_NAMES.items()})
    assert {k: int(c_values[k]) for k in python} == python


def test_generated_manifest_note_matches_the_encoder(c_values: dict[str, str]) -> None:
    assert bytes.fromhex(c_values["mft1_note"]) == notes.encode_mft1_note(
        manifest.Manifest(DEVICES)
    )


def test_abi1_note_matches_the_encoder(c_values: dict[str, str]) -> None:
    spt = targets.TARGETS["spt"]
    assert bytes.fromhex(c_values["abi1_note"]) == notes.encode_abi1_note(
        notes.Abi1Info(spt.abi_target, spt.abi_version)
    )


def test_openbsd_note(c_values: dict[str, str]) -> None:
    assert bytes.fromhex(c_values["openbsd_note"]) == (
        bytes.fromhex("08000000" "04000000" "01000000") + b"OpenBSD\0" + bytes(4)
    )
