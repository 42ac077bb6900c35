"""The targets table: one entry per Solo5 target, the only place they are listed.

Adding a target is adding one entry here plus its bindings under bindings/<name>/.
"""

from dataclasses import dataclass

# ELF program header flags.
PF_X = 1
PF_W = 2
PF_R = 4


@dataclass(frozen=True)
class Target:
    """What the toolchain knows about one target."""

    name: str
    abi_target: int  # ABI1 note abi_target; 0 means "no ABI note" (stub)
    abi_version: int
    text_flags: int  # PF_* of the text PT_LOAD
    separate_rodata: bool  # rodata in its own R-only PT_LOAD (hvt)
    description: str

    @property
    def has_abi_note(self) -> bool:
        return self.abi_target != 0

    @property
    def macro(self) -> str:
        """The C spelling used in the headers, e.g. HVT."""
        return self.name.upper()


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("stub", 0, 0, PF_R | PF_X, False, "does-nothing bindings for link tests"),
        Target("hvt", 1, 2, PF_X, True, "hardware virtualised tender (KVM)"),
        Target("spt", 2, 2, PF_R | PF_X, False, "sandboxed process tender (seccomp)"),
    )
}

# ABI target ids known to query-abi, including targets without bindings here.
ABI_TARGET_NAMES: dict[int, str] = {
    1: "hvt",
    2: "spt",
    3: "virtio",
    4: "muen",
    5: "genode",
    6: "xen",
}

DEFAULT_LINK_TARGET = "stub"
TRIPLE = "x86_64-solo5-none-static"


def target(name: str) -> Target:
    """The target called `name`, or a ValueError listing the known ones."""
    try:
        return TARGETS[name]
    except KeyError:
        known = ", ".join(TARGETS)
        raise ValueError(f"unknown Solo5 target '{name}' (known: {known})") from None
