/*
 * muen_notes.c: the notes every muen unikernel carries: ABI1 (target muen
 * and its version, from the targets table) and the OpenBSD note.
 */
#include "muen.h"

ABI1_NOTE_DECLARE_BEGIN {
    .abi_target = SOLO5_ABI_TARGET,
    .abi_version = SOLO5_ABI_VERSION,
} ABI1_NOTE_DECLARE_END

OPENBSD_NOTE_DECLARE
