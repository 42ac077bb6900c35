"""The targets table: one entry per Solo5 target, the only place they are listed.

Adding a target is adding one entry here plus its bindings under bindings/<name>/.
Everything else (bindings objects, linker scripts, wrappers, runner scripts,
test unikernels, header constants) is derived from this table.
"""

import os
from dataclasses import dataclass, field

from solo5_toolchain import abi

# ELF program header flags.
PF_X = 1
PF_W = 2
PF_R = 4

# How a unikernel of a target is linked.
LINK_STATIC = "static"  # one static executable with solo5_<t>.o inside
LINK_SHARED = "shared"  # a dynamic executable needing solo5_<t>.so at run time


@dataclass(frozen=True)
class Arch:
    """One processor architecture that bindings and tenders are built for.

    Its name is the suffix of the files the build picks for it
    (`bindings_cpu_<name>.c`, `hvt_cpu_<name>.c`) and the first part of its
    triple; `gnu_triple` names Debian's cross tools (`<gnu_triple>-gcc`, ...)
    used when the build host is another architecture.
    """

    name: str
    elf_machine: int  # e_machine of its unikernels and tenders
    elf_machine_name: str  # pyelftools' spelling of it
    gnu_triple: str
    # Flags the bindings are compiled with on this architecture only.
    bindings_cflags: tuple[str, ...] = ()

    @property
    def triple(self) -> str:
        """The Solo5 toolchain triple: <triple>-cc, lib/<triple>/."""
        return f"{self.name}-solo5-none-static"


# x86_64: the bindings never touch the SSE/AVX state (a trap or hypercall
# path would have to save it) and use no red zone (traps arrive on the
# current stack at CPL0).  aarch64: no such flags, as upstream: the
# bindings may use FP/SIMD registers (printf's varargs spill q0-q7), so
# every tender starts the guest with FP/SIMD untrapped.
ARCHES: dict[str, Arch] = {
    a.name: a
    for a in (
        Arch(
            "x86_64", abi.EM_X86_64, "EM_X86_64", "x86_64-linux-gnu",
            bindings_cflags=("-mno-sse", "-mno-mmx", "-mno-aes", "-mno-avx", "-mno-red-zone"),
        ),
        Arch("aarch64", abi.EM_AARCH64, "EM_AARCH64", "aarch64-linux-gnu"),
    )
}
DEFAULT_ARCH = "x86_64"
# Every architecture, both Solo5 targets and the tenders: hvt, spt, stub.
ALL_ARCHES = tuple(ARCHES)


@dataclass(frozen=True)
class LinkerNote:
    """An ELF note the linker script writes (not the bindings), in a PT_NOTE
    of its own: its owner, type and one 32-bit word, given as a linker-script
    expression (for example the address of a symbol of the bindings)."""

    section: str
    phdr: str
    owner: str
    type: int
    value: str


@dataclass(frozen=True)
class HostHeaders:
    """Public headers of another project that a target installs with its
    bindings, copied at build time from the build host (a Debian package)
    rather than kept in this tree.  Without them the target is not built."""

    source: str  # directory on the build host, e.g. /usr/include/xen
    dest: str  # under <prefix>/include/solo5/
    package: str  # the Debian package that provides `source`
    scons_var: str  # `scons VAR=DIR` takes them from DIR instead
    skip: tuple[str, ...] = ()  # files and folders of `source` left out

    def source_dir(self, override: str | None = None) -> str:
        return override or self.source

    def missing(self, override: str | None = None) -> str | None:
        """Why the headers cannot be used (a note for the build), or None."""
        path = self.source_dir(override)
        if os.path.isdir(path):
            return None
        return f"{path} not found (install Debian's {self.package}, or scons {self.scons_var}=DIR)"


@dataclass(frozen=True)
class Target:
    """What the toolchain knows about one target."""

    name: str
    abi_target: int  # ABI1 note abi_target; 0 means "no ABI note" (stub)
    abi_version: int
    text_flags: int  # PF_* of the text PT_LOAD
    separate_rodata: bool  # rodata in its own R-only PT_LOAD (hvt)
    description: str
    # LINK_STATIC, or LINK_SHARED: the bindings are a shared library
    # (lib/<triple>/solo5_<t>.so) that the unikernel is dynamically linked
    # against, and solo5_<t>.o holds only the notes and the entry glue.
    link: str = LINK_STATIC
    # The text starts with a multiboot header (a.out kludge) so that
    # multiboot loaders (QEMU -kernel, syslinux mboot.c32) can boot the ELF.
    multiboot: bool = False
    # The TLS image (.tdata) in a read-only PT_LOAD of its own (the tenders
    # map it read-only).  False puts it at the end of the data PT_LOAD
    # instead: loaders that read the program headers (syslinux mboot.c32
    # loads an ELF64 by them, ignoring the a.out kludge) refuse the empty
    # PT_LOAD at vaddr 0 that the separate segment becomes without TLS data.
    separate_tdata: bool = True
    # Source files from other bindings folders compiled into this target,
    # relative to bindings/ (one concept in one place: virtio reuses the
    # x86_64 descriptor tables and trap entry of hvt).
    extra_sources: tuple[str, ...] = ()
    # Shared bindings files (bindings/*.c) this target replaces with its own
    # or extra_sources (xen: no Solo5 devices, so the stub's net and block).
    replaces_shared: tuple[str, ...] = ()
    # Constants the C bindings of this target get as -D NAME=VALUE, so that
    # a number a runner script and the guest share is written once, here.
    c_constants: tuple[tuple[str, int], ...] = ()
    # Scripts staged into bin/ for running or packaging its unikernels.
    runners: tuple[str, ...] = field(default=())
    # The architectures it has bindings for (ARCHES keys).
    arches: tuple[str, ...] = (DEFAULT_ARCH,)
    # Globals of solo5_<t>.o beyond the API, _start and the SSP symbols: a
    # platform's own entry points and the private ABI its users rely on.
    private_exports: tuple[str, ...] = ()
    # A configuration file written next to every test unikernel of the
    # target, <guest>.<suffix>, rendered from templates/<template> (xen: the
    # xl domain configuration upstream's tests generate).
    guest_config: tuple[str, str] | None = None
    # Notes written by the linker script, between the OpenBSD and ABI notes.
    linker_notes: tuple[LinkerNote, ...] = ()
    # Headers of the platform installed with the bindings (and used by them).
    public_headers: HostHeaders | None = None
    # Non-zero (bytes): read-only data of half this size or more, or that
    # starts past the first `huge_page` bytes, and data that starts past
    # them, start on a page of this size, so that text, read-only data and
    # data never share one (hvt: the tender maps a guest 2 MiB page of one
    # permission with one entry, which KVM's shadow paging maps at one
    # fault instead of one per 8 KiB pages; docs/performance.md, "Round
    # 8").  The TLS image and .bss follow the data as before: a non-empty
    # .tdata (read-only) still shares the data's last page.
    huge_page: int = 0

    @property
    def has_abi_note(self) -> bool:
        return self.abi_target != 0

    @property
    def macro(self) -> str:
        """The C spelling used in the headers, e.g. HVT."""
        return self.name.upper()

    @property
    def is_shared(self) -> bool:
        return self.link == LINK_SHARED

    @property
    def multiboot_header(self) -> list[str]:
        """The multiboot header (linker-script expressions, one per 32-bit
        word) at the start of the text of a `multiboot` target.

        It uses the a.out kludge: the loader copies the file image from the
        header's file offset to load_addr and clears up to bss_end_addr, so
        it never needs to understand a 64-bit ELF (QEMU -kernel).  Loaders
        that do read the ELF64 program headers (syslinux mboot.c32) load the
        same image: see `separate_tdata`.  entry_addr is _start, which runs
        in 32-bit protected mode (see bindings/virtio).
        """
        if not self.multiboot:
            return []
        flags = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE
        checksum = (-(MULTIBOOT_HEADER_MAGIC + flags)) & 0xFFFFFFFF
        return [
            f"0x{MULTIBOOT_HEADER_MAGIC:08x}",  # magic
            f"0x{flags:08x}",  # flags
            f"0x{checksum:08x}",  # checksum
            "_stext",  # header_addr: the header is the first thing in .text
            "_stext",  # load_addr
            "_solo5_load_end",  # load_end_addr
            "_end",  # bss_end_addr
            "_start",  # entry_addr
        ]


# Multiboot (version 1) header fields.
MULTIBOOT_HEADER_MAGIC = 0x1BADB002
MULTIBOOT_PAGE_ALIGN = 1 << 0
MULTIBOOT_MEMORY_INFO = 1 << 1
MULTIBOOT_AOUT_KLUDGE = 1 << 16


# virtio: QEMU's isa-debug-exit device; a guest write of V makes QEMU exit
# with status (V << 1) | 1 (see docs/targets.md for the mapping).
VIRTIO_DEBUG_EXIT_PORT = 0xF4
VIRTIO_DEBUG_EXIT_SIZE = 4
# The largest status a virtio guest passes unchanged; anything else is sent
# as VIRTIO_EXIT_OTHER and reported by solo5-virtio-run as SOLO5_EXIT_ABORT.
VIRTIO_EXIT_MAX = 126
VIRTIO_EXIT_OTHER = 127

# muen: where the system policy maps the subject and time information pages
# into every Solo5 subject, and the protocol ids of its channels (the peer
# subjects check them).  See docs/targets.md.
MUEN_SINFO_BASE = 0xE00000000
MUEN_TIME_INFO_BASE = 0xE00008000
MUEN_PROTOCOL_DEBUGLOG = 0x736F6C6F35636F6E  # "solo5con"
MUEN_PROTOCOL_NET = 0x736F6C6F356E6574  # "solo5net"
MUEN_PROTOCOL_BLOCK = 0x736F6C6F35626C6B  # "solo5blk"

# xen: a PVH domain.  Xen enters the unikernel at the address in its
# XEN_ELFNOTE_PHYS32_ENTRY note, in 32-bit protected mode (bindings/xen).
XEN_ELFNOTE_PHYS32_ENTRY = 18
XEN_PVH_ENTRY_SYMBOL = "_start32"
# The Xen interface version the bindings are written against (upstream's:
# Xen 4.13).  The installed headers are the build host's (Debian 12: Xen
# 4.17, whose latest interface is 0x00040e00); a consumer picks its own
# version with -D__XEN_INTERFACE_VERSION__ (docs/compatibility.md).
XEN_INTERFACE_VERSION = 0x00040D00
# The Xen HVM event-channel upcall vector, and the LAPIC spurious vector
# (both within the 48 IDT entries of hvt_cpu_x86_64.c).
XEN_UPCALL_VECTOR = 32
XEN_SPURIOUS_VECTOR = 47
# Where solo5__xen_get_gntmap_area() says grant mappings may go (mapped RW,
# never executable): 4 GiB to 5 GiB, as upstream.
XEN_GNTMAP_BASE = 0x100000000
XEN_GNTMAP_SIZE = 0x40000000
# The memory of a test unikernel's xl configuration (upstream's tests).
XEN_XL_MEMORY_MB = 32

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "stub", 0, 0, PF_R | PF_X, False, "does-nothing bindings for link tests",
            arches=ALL_ARCHES,
        ),
        Target(
            "hvt", 1, 2, PF_X, True, "hardware virtualised tender (KVM)", arches=ALL_ARCHES,
            huge_page=0x200000,
        ),
        Target(
            "spt", 2, 2, PF_R | PF_X, False, "sandboxed process tender (seccomp)",
            arches=ALL_ARCHES,
        ),
        Target(
            "virtio", 3, 1, PF_R | PF_X, False,
            "virtio/multiboot virtual machine (QEMU, any x86_64 hypervisor)",
            multiboot=True,
            separate_tdata=False,
            extra_sources=("hvt/hvt_cpu_x86_64.c", "hvt/hvt_traps_x86_64.S"),
            c_constants=(
                ("VIRTIO_DEBUG_EXIT_PORT", VIRTIO_DEBUG_EXIT_PORT),
                ("VIRTIO_EXIT_MAX", VIRTIO_EXIT_MAX),
                ("VIRTIO_EXIT_OTHER", VIRTIO_EXIT_OTHER),
            ),
            runners=("solo5-virtio-run", "solo5-virtio-mkimage"),
        ),
        Target(
            "muen", 4, 4, PF_R | PF_X, False, "Muen separation kernel subject",
            c_constants=(
                ("MUEN_SINFO_BASE", MUEN_SINFO_BASE),
                ("MUEN_TIME_INFO_BASE", MUEN_TIME_INFO_BASE),
                ("MUEN_PROTOCOL_DEBUGLOG", MUEN_PROTOCOL_DEBUGLOG),
                ("MUEN_PROTOCOL_NET", MUEN_PROTOCOL_NET),
                ("MUEN_PROTOCOL_BLOCK", MUEN_PROTOCOL_BLOCK),
            ),
        ),
        Target(
            "genode", 5, 1, PF_R | PF_X, False,
            "native Genode component (bindings in a shared library)",
            link=LINK_SHARED,
        ),
        Target(
            "xen", 6, 1, PF_R | PF_X, False, "Xen PVH domain (x86_64)",
            # Xen's PVH dom0 builder (4.17) takes the lowest PT_LOAD as the
            # image start: an empty one at 0 made it put the start info and
            # command line over the text at 1 MiB.
            separate_tdata=False,
            extra_sources=(
                "hvt/hvt_cpu_x86_64.c", "hvt/hvt_traps_x86_64.S", "stub/stub_devices.c",
            ),
            replaces_shared=("bindings_net.c", "bindings_block.c"),
            c_constants=(
                ("__XEN_INTERFACE_VERSION__", XEN_INTERFACE_VERSION),
                ("XEN_UPCALL_VECTOR", XEN_UPCALL_VECTOR),
                ("XEN_SPURIOUS_VECTOR", XEN_SPURIOUS_VECTOR),
                ("XEN_GNTMAP_BASE", XEN_GNTMAP_BASE),
                ("XEN_GNTMAP_SIZE", XEN_GNTMAP_SIZE),
            ),
            # MirageOS's Xen support uses these (upstream exports them too).
            private_exports=(
                XEN_PVH_ENTRY_SYMBOL,
                "solo5__xen_HYPERCALL_PAGE",
                "solo5__xen_HYPERVISOR_SHARED_INFO",
                "solo5__xen_get_gntmap_area",
                "solo5__xen_evtchn_vector_handler",
            ),
            guest_config=("xl", "guests/xen.xl.j2"),
            linker_notes=(
                LinkerNote(
                    ".note.solo5.xen", "note_xen", "Xen",
                    XEN_ELFNOTE_PHYS32_ENTRY, XEN_PVH_ENTRY_SYMBOL,
                ),
            ),
            public_headers=HostHeaders(
                "/usr/include/xen", "xen", "libxen-dev", "XEN_HEADERS",
                # Not Xen's public guest interface: the toolstack's foreign
                # layouts and Linux's /dev/xen ioctls (libxen-dev's sys/, and
                # the same from linux-libc-dev in the same folder).
                skip=("foreign", "sys", "evtchn.h", "gntalloc.h", "gntdev.h", "privcmd.h"),
            ),
        ),
    )
}

DEFAULT_LINK_TARGET = "stub"
# The triple of the default architecture (x86_64-solo5-none-static).
TRIPLE = ARCHES[DEFAULT_ARCH].triple


def target(name: str) -> Target:
    """The target called `name`, or a ValueError listing the known ones."""
    try:
        return TARGETS[name]
    except KeyError:
        known = ", ".join(TARGETS)
        raise ValueError(f"unknown Solo5 target '{name}' (known: {known})") from None


def arch(name: str) -> Arch:
    """The architecture called `name`, or a ValueError listing the known ones."""
    try:
        return ARCHES[name]
    except KeyError:
        known = ", ".join(ARCHES)
        raise ValueError(f"unknown architecture '{name}' (known: {known})") from None


def arch_of_machine(machine: str) -> Arch:
    """The architecture of a `cc -dumpmachine` triple (x86_64-linux-gnu)."""
    return arch(machine.split("-", 1)[0])


def targets_for(arch_name: str) -> dict[str, Target]:
    """The targets that have bindings on `arch_name`, in table order."""
    return {name: t for name, t in TARGETS.items() if arch_name in t.arches}
