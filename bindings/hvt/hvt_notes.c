/*
 * hvt_notes.c: the notes every hvt unikernel carries: ABI1 (target hvt,
 * HVT_ABI_VERSION), which the tender checks, and the OpenBSD identification
 * note.
 */
#include "hvt.h"

ABI1_NOTE_DECLARE_BEGIN {
    .abi_target = HVT_ABI_TARGET,
    .abi_version = HVT_ABI_VERSION,
} ABI1_NOTE_DECLARE_END

OPENBSD_NOTE_DECLARE
