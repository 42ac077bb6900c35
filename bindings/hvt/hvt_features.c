/*
 * hvt_features.c: the one place that reads hvt_boot_info.host_features.
 *
 * The bindings use the bits of ours that they know (user mode, I/O rings)
 * whenever the tender offers them; upstream's RING_IO (bit 0) is never
 * used.  A test build links tests/hvt/hvt_features_none.c instead, to be a
 * guest that ignores every bit, as upstream's bindings do
 * (tests/hvt/test_hvt_legacy.py).
 */
#include "hvt.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* The user-start header's magic (hvt_entry_x86_64.c), as an absolute
 * symbol: with it the bindings ask the tender to start them at CPL3. */
__asm__(".globl hvt_user_start_magic\n"
        ".set hvt_user_start_magic, " STR(HVT_USER_START_MAGIC) "\n");

uint32_t hvt_features(const struct hvt_boot_info *bi)
{
    return bi->host_features & (HVT_FEATURE_USER_MODE | HVT_FEATURE_IO_RINGS |
            HVT_FEATURE_FSGSBASE);
}
