/* test_hello: prints its command line; SUCCESS iff it is "Hello_Solo5". */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    guest_banner("test_hello");
    guest_puts("Hello, World\nCommand line is: '");
    guest_puts(si->cmdline);
    guest_puts("'\n");

    if (strcmp(si->cmdline, "Hello_Solo5") != 0)
        return guest_failure("command line is not 'Hello_Solo5'");
    return guest_success();
}
