/*
 * test_mft_maxdevices: a manifest with the maximum of 63 devices
 * (storage0..storage62); the first and the last must be usable.
 */
#include "guest.h"

static bool check(const char *name, uint8_t *buf, solo5_handle_t *h)
{
    struct solo5_block_info info;

    if (solo5_block_acquire(name, h, &info) != SOLO5_R_OK) {
        guest_failure("solo5_block_acquire failed");
        return false;
    }
    if (info.block_size > 4096 || info.capacity < info.block_size) {
        guest_failure("unexpected block size or capacity");
        return false;
    }
    if (solo5_block_read(*h, 0, buf, info.block_size) != SOLO5_R_OK) {
        guest_failure("block read failed");
        return false;
    }
    guest_puts(name);
    guest_puts(" is handle ");
    guest_put_dec(*h);
    guest_puts("\n");
    return true;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    static uint8_t buf[4096];
    solo5_handle_t first, last;

    (void)si;
    guest_banner("test_mft_maxdevices");

    if (!check("storage0", buf, &first) || !check("storage62", buf, &last))
        return SOLO5_EXIT_FAILURE;
    if (first == last)
        return guest_failure("storage0 and storage62 have the same handle");
    return guest_success();
}
