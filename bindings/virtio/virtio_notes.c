/*
 * virtio_notes.c: the notes every virtio unikernel carries: ABI1 (target
 * virtio and its version, from the targets table) and the OpenBSD
 * identification note.
 */
#include "virtio.h"

ABI1_NOTE_DECLARE_BEGIN {
    .abi_target = SOLO5_ABI_TARGET,
    .abi_version = SOLO5_ABI_VERSION,
} ABI1_NOTE_DECLARE_END

OPENBSD_NOTE_DECLARE
