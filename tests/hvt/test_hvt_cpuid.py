"""solo5-hvt's minimal CPU (tenders/hvt/hvt_cpuid_x86_64.c; upstream issue #610).

The allowlist is checked three ways:
* over inputs (build/tests/unit/hvt_cpuid_check filter): KVM_GET_SUPPORTED_CPUID
  as recorded on this host (tests/hvt/data/, kvm-pvm), and a host that
  claims every bit of every leaf: the features that open paths out of a VM
  (VMX, SVM, SGX, MONITOR, performance counters, KVM's paravirtual MSRs...)
  never pass, the ones compilers and libraries check for do, nothing the
  host lacks appears, highest-leaf numbers are capped;
* against docs/security.md's CPUID tables, which must say what the C table says;
* from inside a guest (test_cpuid on solo5-hvt): what it reads is what the
  tender set, except the bits KVM computes at run time and, on kvm-pvm, the
  leaves kvm-pvm computes itself from the host (measured, documented).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.guest import TOP, run_guest
from support.paths import BUILD

from .hvt_env import requires_hvt

CHECK = BUILD / "tests" / "unit" / "hvt_cpuid_check"
RECORDED = Path(__file__).parent / "data" / "kvm_supported_cpuid_kvm_pvm.txt"
SECURITY_MD = TOP / "docs" / "security.md"
EAX, EBX, ECX, EDX = range(4)
REGS = ("EAX", "EBX", "ECX", "EDX")
KVM_PVM = os.path.exists("/sys/module/kvm_pvm")

# Features no guest may see: (leaf, subleaf, register, bit).
HIDDEN = {
    "VMX": (0x1, 0, ECX, 5),
    "SMX": (0x1, 0, ECX, 6),
    "MONITOR": (0x1, 0, ECX, 3),
    "PDCM": (0x1, 0, ECX, 15),
    "PCID": (0x1, 0, ECX, 17),
    "x2APIC": (0x1, 0, ECX, 21),
    "TSC_DEADLINE": (0x1, 0, ECX, 24),
    "MCE": (0x1, 0, EDX, 7),
    "APIC": (0x1, 0, EDX, 9),
    "MTRR": (0x1, 0, EDX, 12),
    "MCA": (0x1, 0, EDX, 14),
    "DS": (0x1, 0, EDX, 21),
    "TSC_ADJUST": (0x7, 0, EBX, 1),
    "SGX": (0x7, 0, EBX, 2),
    "HLE": (0x7, 0, EBX, 4),
    "SMEP": (0x7, 0, EBX, 7),
    "INVPCID": (0x7, 0, EBX, 10),
    "RTM": (0x7, 0, EBX, 11),
    "MPX": (0x7, 0, EBX, 14),
    "SMAP": (0x7, 0, EBX, 20),
    "PT": (0x7, 0, EBX, 25),
    "UMIP": (0x7, 0, ECX, 2),
    "PKU": (0x7, 0, ECX, 3),
    "WAITPKG": (0x7, 0, ECX, 5),
    "LA57": (0x7, 0, ECX, 16),
    "RDPID": (0x7, 0, ECX, 22),
    "SGX_LC": (0x7, 0, ECX, 30),
    "AMX_TILE": (0x7, 0, EDX, 24),
    "SPEC_CTRL": (0x7, 0, EDX, 26),
    "ARCH_CAPABILITIES": (0x7, 0, EDX, 29),
    "XCR0.PKRU": (0xD, 0, EAX, 9),
    "XCR0.AMX_TILEDATA": (0xD, 0, EAX, 18),
    "XSAVES": (0xD, 1, EAX, 3),
    "XFD": (0xD, 1, EAX, 4),
    "SVM": (0x80000001, 0, ECX, 2),
    "IBS": (0x80000001, 0, ECX, 10),
    "SKINIT": (0x80000001, 0, ECX, 12),
    "PERFCTR_CORE": (0x80000001, 0, ECX, 23),
    "MONITORX": (0x80000001, 0, ECX, 29),
}
# Leaves no guest may see at all: MONITOR/MWAIT, power, performance
# counters, topology, SGX, PT, AMX, KVM's paravirtual features, SVM, SEV.
HIDDEN_LEAVES = (0x5, 0x6, 0xA, 0xB, 0x12, 0x14, 0x1D, 0x1F, 0x40000001, 0x8000000A, 0x8000001F)
# What a guest sees whenever the host has it.
PASSED = {
    "SSE3": (0x1, 0, ECX, 0),
    "SSSE3": (0x1, 0, ECX, 9),
    "SSE4.1": (0x1, 0, ECX, 19),
    "SSE4.2": (0x1, 0, ECX, 20),
    "POPCNT": (0x1, 0, ECX, 23),
    "AES": (0x1, 0, ECX, 25),
    "XSAVE": (0x1, 0, ECX, 26),
    "AVX": (0x1, 0, ECX, 28),
    "RDRAND": (0x1, 0, ECX, 30),
    "HYPERVISOR": (0x1, 0, ECX, 31),
    "TSC": (0x1, 0, EDX, 4),
    "SSE2": (0x1, 0, EDX, 26),
    "FSGSBASE": (0x7, 0, EBX, 0),
    "AVX2": (0x7, 0, EBX, 5),
    "AVX512F": (0x7, 0, EBX, 16),
    "RDSEED": (0x7, 0, EBX, 18),
    "SHA": (0x7, 0, EBX, 29),
    "XCR0.AVX": (0xD, 0, EAX, 2),
    "NX": (0x80000001, 0, EDX, 20),
    "RDTSCP": (0x80000001, 0, EDX, 27),
    "LM": (0x80000001, 0, EDX, 29),
    "INVARIANT_TSC": (0x80000007, 0, EDX, 8),
}
# Highest-leaf registers the tender caps: (leaf, subleaf) -> cap.
CAPS = {(0x0, 0): 0x16, (0x7, 0): 1, (0x40000000, 0): 0x40000000, (0x80000000, 0): 0x80000008}

Cpuid = dict[tuple[int, int], tuple[int, int, int, int]]


def entries(text: str) -> Cpuid:
    """ "FUNCTION INDEX FLAGS EAX EBX ECX EDX" lines (hex) -> {(leaf, sub): regs}."""
    out: Cpuid = {}
    for line in text.splitlines():
        w = [int(x, 16) for x in line.split()]
        out[(w[0], w[1])] = (w[3], w[4], w[5], w[6])
    return out


def render(cpuid: dict[tuple[int, int], tuple[int, ...]], flags: int = 0) -> str:
    return "".join(
        f"{f:x} {i:x} {flags:x} " + " ".join(f"{r:x}" for r in regs) + "\n"
        for (f, i), regs in cpuid.items()
    )


def check(*args: str, stdin: str | None = None) -> str:
    if not CHECK.is_file():
        pytest.fail(f"{CHECK} is not built: run `scons -Q -j2`")
    proc = subprocess.run(
        [CHECK, *args], input=stdin, capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def guest_cpuid(host: str) -> Cpuid:
    return entries(check("filter", stdin=host))


def bit(cpuid: Cpuid, where: tuple[int, int, int, int]) -> bool:
    leaf, sub, reg, b = where
    regs = cpuid.get((leaf, sub))
    return regs is not None and bool(regs[reg] >> b & 1)


def all_ones_host() -> Cpuid:
    """A host claiming every bit of every leaf (XSAVE sizes kept sane)."""
    host: Cpuid = {}
    leaves = [*range(0x25), 0x40000000, 0x40000001, *range(0x80000000, 0x80000022)]
    subleafs = {0x4: 5, 0x7: 3, 0xB: 2, 0xD: 64, 0x12: 3, 0x14: 2, 0x1D: 2, 0x1F: 2}
    for leaf in leaves:
        for sub in range(subleafs.get(leaf, 1)):
            host[(leaf, sub)] = (0xFFFFFFFF,) * 4
    for sub in range(2, 64):
        host[(0xD, sub)] = (0x40 * sub, 0x240 + 0x100 * sub, 0, 0)
    return host


def test_all_ones_host_sees_exactly_the_allowlist() -> None:
    guest = guest_cpuid(render(all_ones_host()))
    for name, where in HIDDEN.items():
        assert not bit(guest, where), f"{name} reaches the guest"
    for name, where in PASSED.items():
        assert bit(guest, where), f"{name} does not reach the guest"
    assert not [leaf for leaf, _ in guest if leaf in HIDDEN_LEAVES]
    for key, cap in CAPS.items():
        assert guest[key][EAX] == cap, hex(guest[key][EAX])
    assert guest[(0x1, 0)][EBX] == 0xFFFF  # no thread count, no APIC ID
    assert all(guest[(0x4, s)][EAX] == 0x3FFF for s in range(5))  # no core counts
    assert sorted(s for leaf, s in guest if leaf == 0xD) == [0, 1, 2, 5, 6, 7]
    # The XSAVE area for x87, SSE, AVX and AVX-512: the end of component 7.
    assert guest[(0xD, 0)][ECX] == 0x40 * 7 + 0x240 + 0x100 * 7
    assert guest[(0xD, 0)][EDX] == 0 and guest[(0xD, 1)][ECX:] == (0, 0)
    assert guest[(0x80000008, 0)][EBX:] == (0, 0, 0)


def test_recorded_kvm_cpuid_is_narrowed() -> None:
    recorded = RECORDED.read_text()
    host, guest = entries(recorded), guest_cpuid(recorded)
    # What this host's KVM offers and the guest must not see.
    for name in ("x2APIC", "APIC", "MCE", "MCA", "MTRR", "TSC_ADJUST", "HLE", "RTM", "UMIP"):
        assert bit(host, HIDDEN[name]) and not bit(guest, HIDDEN[name]), name
    assert (0x40000001, 0) in host and (0x40000001, 0) not in guest  # KVM PV MSRs
    assert (0xB, 0) in host and (0xB, 0) not in guest
    assert host[(0x0, 0)][EAX] == 0x24 and guest[(0x0, 0)][EAX] == 0x16
    for name in ("SSE2", "TSC", "HYPERVISOR", "NX", "LM", "INVARIANT_TSC", "XCR0.AVX"):
        assert bit(guest, PASSED[name]), name
    # Nothing the host lacks: every register is a subset of KVM's, except
    # the computed ones (caps, the XSAVE area size).
    for key, regs in guest.items():
        for reg, value in enumerate(regs):
            if (key in CAPS and reg == EAX) or (key == (0xD, 0) and reg == ECX):
                continue
            assert value & ~host[key][reg] == 0, f"{key} {REGS[reg]}: {value:#x}"


# --- docs/security.md says what the table says ---

HOW = {"cap": "cap", "mask": "mask", "whole": "whole", "bits": "bits", "none": "-"}
HOW["xsave_max"] = "computed"


@dataclass(frozen=True)
class Table:
    leaves: list[tuple[str, ...]]
    bits: list[tuple[str, ...]]


def table_from_c() -> Table:
    leaves, bits = [], {}
    for line in check("table").splitlines():
        w = line.split(" ")
        if w[0] == "leaf":
            value = int(w[7], 16)
            cells = [HOW[h] + (f" {value:#x}" if h in ("cap", "mask") else "") for h in w[3:7]]
            sub = "any" if w[2] == "ffffffff" else str(int(w[2], 16))
            leaves.append((f"{int(w[1], 16):#x}", sub, *cells, " ".join(w[8:])))
        else:
            key = (f"{int(w[1], 16):#x}", str(int(w[2], 16)), REGS[int(w[3])])
            bits.setdefault(key, []).append(f"{w[5]}({w[4]})")
    return Table(leaves, [(*k, " ".join(v)) for k, v in bits.items()])


def table_from_docs() -> Table:
    text = SECURITY_MD.read_text()
    section = text.split("## CPUID", 1)[1].split("\n## ", 1)[0]
    rows = [
        tuple(c.strip().strip("`") for c in line.strip().strip("|").split("|"))
        for line in section.splitlines()
        if re.match(r"\|\s*`?0x", line)
    ]
    return Table([r for r in rows if len(r) == 7], [r for r in rows if len(r) == 4])


def test_docs_cpuid_tables_match_the_c_table() -> None:
    c, docs = table_from_c(), table_from_docs()
    assert docs.leaves == c.leaves
    assert docs.bits == c.bits


# --- from inside a guest ---

# Bits KVM itself computes while the guest runs: the APIC ID, OSXSAVE and
# OSPKE (from CR4), the APIC bit (from the APIC base MSR), the XSAVE sizes
# of the enabled XCR0/XSS.
DYNAMIC = {
    (0x1, 0, EBX): 0xFF000000,
    (0x1, 0, ECX): 1 << 27,
    (0x1, 0, EDX): 1 << 9,
    (0x7, 0, ECX): 1 << 4,
    (0xD, 0, EBX): 0xFFFFFFFF,
    (0xD, 1, EBX): 0xFFFFFFFF,
}
# kvm-pvm answers these itself from the host's user-mode features, whatever
# KVM_SET_CPUID2 said (measured: with the table set to zero there the guest
# still read the host's bits; docs/kvm-pvm.md).  Every other leaf is honoured.
KVM_PVM_OWN = {(0x1, 0, ECX), (0x1, 0, EDX)} | {
    (leaf, sub, reg)
    for leaf, subs in ((0x7, 2), (0xD, 64))
    for sub in range(subs)
    for reg in range(4)
}
# Whatever the KVM: the ways out of a VM stay closed.
NEVER = ("VMX", "SMX", "SGX", "SVM", "MONITOR", "MONITORX")


def guest_view() -> Cpuid:
    result = run_guest("hvt", "test_cpuid")
    assert result.status == 0 and "SUCCESS" in result.stdout, result.describe()
    out: Cpuid = {}
    for line in result.stdout.splitlines():
        if line.startswith("cpuid "):
            w = [int(x, 16) for x in line.split()[1:]]
            out[(w[0], w[1])] = (w[2], w[3], w[4], w[5])
    return out


@requires_hvt
def test_guest_reads_what_the_tender_set() -> None:
    expected, seen = entries(check("live")), guest_view()
    for name in NEVER:
        assert not bit(seen, HIDDEN[name]), f"the guest sees {name}"
    # Every leaf in the guest's ranges: the tender's value, or zero if the
    # allowlist dropped it.
    for key, regs in seen.items():
        for reg, value in enumerate(regs):
            if KVM_PVM and (*key, reg) in KVM_PVM_OWN:
                continue
            want = expected.get(key, (0, 0, 0, 0))[reg]
            ignore = DYNAMIC.get((*key, reg), 0)
            assert value & ~ignore == want & ~ignore, f"{key} {REGS[reg]}: {value:#x} != {want:#x}"
    assert (0x40000001, 0) not in seen and seen[(0x0, 0)][EAX] <= 0x16
