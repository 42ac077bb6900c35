"""Helpers shared by the toolchain tests: running staged tools, crafting ELF files."""

from __future__ import annotations

import os
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ELFTOOL = "solo5-elftool"
TRIPLE = "x86_64-solo5-none-static"

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
PT_LOAD = 1
PT_NOTE = 4
ET_EXEC = 2
ET_DYN = 3
EM_X86_64 = 62


def run(argv: Sequence[str | Path], stdin: bytes | None = None,
        env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run a staged tool; text output, never raises on a non-zero status."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [str(a) for a in argv], input=stdin.decode() if stdin is not None else None,
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120, check=False,
    )


@dataclass
class Segment:
    """A program header for `build_elf`; `data` is placed in the file."""

    p_type: int
    data: bytes = b""
    filesz: int | None = None  # overrides len(data), e.g. to point past the end
    vaddr: int = 0x100000
    flags: int = 4


def build_elf(segments: Sequence[Segment], e_type: int = ET_EXEC,
              machine: int = EM_X86_64, elfclass: int = 2) -> bytes:
    """A minimal ELF64 executable with exactly `segments` as program headers."""
    phoff = _EHDR.size
    data_off = phoff + _PHDR.size * len(segments)
    blobs = b""
    phdrs = b""
    for seg in segments:
        offset = data_off + len(blobs)
        blobs += seg.data + bytes(-len(seg.data) % 8)
        filesz = len(seg.data) if seg.filesz is None else seg.filesz
        phdrs += _PHDR.pack(seg.p_type, seg.flags, offset, seg.vaddr, seg.vaddr,
                            filesz, filesz, 4)
    ident = b"\x7fELF" + bytes([elfclass, 1, 1, 0]) + bytes(8)
    ehdr = _EHDR.pack(ident, e_type, machine, 1, 0x100000, phoff, 0, 0, _EHDR.size,
                      _PHDR.size, len(segments), 64, 0, 0)
    return ehdr + phdrs + blobs
