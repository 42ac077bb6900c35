/* test_notls: with no TLS block set up the TLS base is 0, so reading the
 * stack-protector slot %fs:0x28 hits the zero page and must fault. */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t value;

    (void)si;
    guest_banner("test_notls");

    __asm__ __volatile__("movq %%fs:0x28, %0" : "=r"(value) : : "memory");
    guest_puts("read ");
    guest_put_hex(value);
    guest_puts("\n");
    return guest_failure("reading %fs:0x28 with TLS base 0 did not fault");
}
