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

uint32_t hvt_features(const struct hvt_boot_info *bi)
{
    return bi->host_features & (HVT_FEATURE_USER_MODE | HVT_FEATURE_IO_RINGS);
}
