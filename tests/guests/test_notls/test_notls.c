/* test_notls: with no TLS block set up the TLS base is 0, so reading a
 * word at a small offset from it (test_notls_<arch>.c: x86_64 the
 * stack-protector slot %fs:0x28, aarch64 TPIDR_EL0 + 0x10) hits the zero
 * page and must fault. */
#include "guest.h"

uint64_t notls_read(void);

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t value;

    (void)si;
    guest_banner("test_notls");

    value = notls_read();
    guest_puts("read ");
    guest_put_hex(value);
    guest_puts("\n");
    return guest_failure("reading TLS with TLS base 0 did not fault");
}
