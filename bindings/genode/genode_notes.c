/*
 * genode_notes.c: what a Genode unikernel carries itself, linked statically
 * (solo5_genode.o): the ABI1 note (target genode) and the OpenBSD note.
 * Everything else, the API included, comes from the bindings library
 * solo5.lib.so at run time (solo5_genode.so is the stub of it to link with).
 */
#include "elf_abi.h"

ABI1_NOTE_DECLARE_BEGIN {
    .abi_target = SOLO5_ABI_TARGET,
    .abi_version = SOLO5_ABI_VERSION,
} ABI1_NOTE_DECLARE_END

OPENBSD_NOTE_DECLARE
