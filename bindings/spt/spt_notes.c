/*
 * spt_notes.c: the notes every spt unikernel carries: ABI1 (target spt,
 * SPT_ABI_VERSION), which the tender checks, and the OpenBSD identification
 * note.
 */
#include "spt.h"

ABI1_NOTE_DECLARE_BEGIN {
    .abi_target = SPT_ABI_TARGET,
    .abi_version = SPT_ABI_VERSION,
} ABI1_NOTE_DECLARE_END

OPENBSD_NOTE_DECLARE
