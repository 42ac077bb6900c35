/* test_xnow (W^X): writing into .text must fault. */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    volatile uint8_t *text = (volatile uint8_t *)guest_launder((uintptr_t)&solo5_app_main);

    (void)si;
    guest_banner("test_xnow");

    *text = 0xc3; /* ret */
    return guest_failure("write into .text did not fault");
}
