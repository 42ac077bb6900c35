/* test_exception: writes far beyond guest memory (2 << 33 = 16 GiB); must fault. */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_exception");

    *(volatile int *)guest_launder((uintptr_t)2 << 33) = 1;
    return guest_failure("write beyond guest memory did not fault");
}
