/* test_dumpcore: calls solo5_abort() (hvt-debug --dumpcore writes a core). */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_dumpcore");

    solo5_abort();
}
