/*
 * test_exception: writes far beyond guest memory (2 << 33 = 16 GiB); must
 * fault.  `test_exception df` sets the x86_64 direction flag first (no-op
 * elsewhere), as an application's own backward copy would: the trap's
 * report must come out whole all the same.
 */
#include "guest.h"

/* test_exception_<arch>.c */
void guest_set_direction_flag(void);

int solo5_app_main(const struct solo5_start_info *si)
{
    guest_banner("test_exception");

    if (strcmp(si->cmdline, "df") == 0)
        guest_set_direction_flag();
    *(volatile int *)guest_launder((uintptr_t)2 << 33) = 1;
    return guest_failure("write beyond guest memory did not fault");
}
