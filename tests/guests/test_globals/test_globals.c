/* test_globals: initialised data must be writable and .bss must be zero. */
#include "guest.h"

char message[] = "RUCCESS\n";
uint64_t zeroes[512];

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_globals");

    for (size_t i = 0; i < sizeof(zeroes) / sizeof(zeroes[0]); i++) {
        if (zeroes[i] != 0)
            return guest_failure(".bss is not zero-filled");
    }
    /* "RUCCESS" becomes "SUCCESS" only if .data is writable. */
    message[0]++;
    guest_puts(message);
    return SOLO5_EXIT_SUCCESS;
}
