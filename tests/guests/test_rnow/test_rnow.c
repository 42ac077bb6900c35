/* test_rnow (W^X): writing into .rodata must fault. */
#include "guest.h"

static const char read_only[] = "this string lives in .rodata";

int solo5_app_main(const struct solo5_start_info *si)
{
    volatile char *p = (volatile char *)guest_launder((uintptr_t)read_only);

    (void)si;
    guest_banner("test_rnow");

    *p = 'T';
    guest_puts((const char *)p);
    guest_puts("\n");
    return guest_failure("write into .rodata did not fault");
}
