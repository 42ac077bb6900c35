/* test_wnox (W^X): executing from .data must fault. */
#include "guest.h"

/* A writable global, so in .data: "ret". */
uint8_t code_in_data[16] = { 0xc3 };

int solo5_app_main(const struct solo5_start_info *si)
{
    void (*fn)(void) = (void (*)(void))guest_launder((uintptr_t)code_in_data);

    (void)si;
    guest_banner("test_wnox");

    fn();
    return guest_failure("code in .data was executed");
}
