/* test_net_mtu: prints the MTU of "service0" as the tender reports it. */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_net_info info;
    solo5_handle_t h;

    (void)si;
    guest_banner("test_net_mtu");

    if (solo5_net_acquire("service0", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_net_acquire(service0)");
    guest_puts("MTU is ");
    guest_put_dec(info.mtu);
    guest_puts("\n");
    return guest_success();
}
