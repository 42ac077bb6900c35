/* test_quiet: run with --solo5:quiet, its output must hold no "Solo5:" line. */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_quiet");
    return guest_success();
}
