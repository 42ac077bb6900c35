/*
 * test_net_mtu: prints the MTU of "service0" as the tender reports it, then
 * checks the frame size limit of solo5_net_write(): mtu + 14 bytes go out
 * (to a unicast address nobody has: the host drops it), one byte more is
 * SOLO5_R_EINVAL, on every target alike.
 */
#include "guest.h"

#define MAX_MTU 9000

static uint8_t frame[MAX_MTU + SOLO5_NET_HLEN + 1];

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
    if (info.mtu > MAX_MTU)
        return guest_failure("MTU above 9000");
    /* Destination 02:00:00:00:00:01, source ours, EtherType 0x88b5 (local
     * experimental). */
    frame[0] = 0x02;
    frame[5] = 0x01;
    memcpy(frame + SOLO5_NET_ALEN, info.mac_address, SOLO5_NET_ALEN);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    if (solo5_net_write(h, frame, info.mtu + SOLO5_NET_HLEN + 1) !=
            SOLO5_R_EINVAL)
        return guest_failure("a frame of mtu + 15 bytes was not refused");
    if (solo5_net_write(h, frame, info.mtu + SOLO5_NET_HLEN) != SOLO5_R_OK)
        return guest_failure("a frame of mtu + 14 bytes was refused");
    guest_puts("frame size limit: mtu + 14\n");
    return guest_success();
}
