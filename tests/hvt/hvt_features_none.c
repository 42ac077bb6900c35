/*
 * hvt_features_none.c: bindings/hvt/hvt_features.c for a test build of the
 * hvt bindings (build/tests/unit/solo5_hvt_legacy.o) that uses none of the
 * tender's feature bits, like a guest built by upstream's toolchain: it
 * stays at CPL0 and does all I/O with hypercalls, even on a solo5-hvt that
 * offers user mode and I/O rings (tests/hvt/test_hvt_legacy.py).
 */
#include "hvt.h"

/* No user-start header either: the magic is 0 (hvt_entry_x86_64.c). */
__asm__(".globl hvt_user_start_magic\n.set hvt_user_start_magic, 0\n");

uint32_t hvt_features(const struct hvt_boot_info *bi)
{
    (void)bi;
    return 0;
}
