/* test_zeropage: writes to address 8, in the unmapped zero page; must fault. */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_zeropage");

    *(volatile int *)guest_launder(8) = 1;
    return guest_failure("write to the zero page did not fault");
}
