/*
 * xen_notes.c: the notes every xen unikernel carries: ABI1 (target xen and
 * its version, from the targets table) and the OpenBSD identification
 * note.  The linker script writes Xen's PHYS32_ENTRY note.
 */
#include "xen.h"
#include "elf_abi.h"

ABI1_NOTE_DECLARE_BEGIN {
    .abi_target = SOLO5_ABI_TARGET,
    .abi_version = SOLO5_ABI_VERSION,
} ABI1_NOTE_DECLARE_END

OPENBSD_NOTE_DECLARE
