/*
 * test_exit: ends with the status given on its command line.
 *
 *   test_exit N         calls solo5_exit(N)
 *   test_exit return N  returns N from solo5_app_main
 */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *arg = si->cmdline;
    bool by_return = false;
    uint64_t status;

    guest_banner("test_exit");
    if (memcmp(arg, "return ", 7) == 0) {
        by_return = true;
        arg += 7;
    }
    if (!guest_parse_dec(arg, &status))
        return guest_failure("usage: test_exit [return] STATUS");

    guest_puts(by_return ? "returning " : "calling solo5_exit(");
    guest_put_dec(status);
    guest_puts(by_return ? "\n" : ")\n");
    if (by_return)
        return (int)status;
    solo5_exit((int)status);
}
