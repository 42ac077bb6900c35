/*
 * test_ssp: overflows a 16-byte stack buffer with strcpy(); the stack
 * protector must catch it on return: "Solo5: ABORT: Stack corruption
 * detected", status 255.
 *
 * strcpy() lives in another translation unit (guest.c) and the source comes
 * from a writable global, so the compiler can neither see the overflow nor
 * drop it; this file is also built with -fstack-protector-all.
 */
#include "guest.h"

char overflow_source[] =
    "This string is much longer than the 16-byte buffer it is copied into.";

__attribute__((noinline)) static void smash(const char *src)
{
    char buffer[16];

    strcpy(buffer, src);
    /* Use the buffer, so that the copy is not dead code. */
    guest_puts(buffer);
    guest_puts("\n");
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_ssp");

    smash(overflow_source);
    return guest_failure("stack smash was not detected");
}
