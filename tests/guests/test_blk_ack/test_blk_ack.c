/*
 * test_blk_ack: writes the block device "storage" from start to end in
 * transfers of 1, 2, ... 8 blocks (cycling), and after each write that
 * returned SOLO5_R_OK prints "ack <first block> <blocks>".  The test kills
 * the tender with SIGKILL mid-way and checks that every acknowledged block
 * is in the file: an acknowledged write must not live only in the tender.
 *
 * Block b holds 64-bit words (b + 3000001) * 0x9E3779B97F4A7C15 + i (the
 * pattern of test_blk with tag b + 3000000).  When the device is full it
 * prints "done" and waits to be killed.
 */
#include "guest.h"

#define PATTERN_K 0x9E3779B97F4A7C15ULL
#define TAG 3000000
#define MAX_RUN 8

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    solo5_handle_t h;
    uint64_t *buf, blocks, b = 0;
    unsigned run = 1;
    size_t bs;

    guest_banner("test_blk_ack");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_block_acquire(storage)");
    bs = info.block_size;
    blocks = info.capacity / bs;
    if (MAX_RUN * bs > si->heap_size / 2)
        return guest_failure("the buffer does not fit in the heap");
    buf = (uint64_t *)((si->heap_start + 7) & ~7UL);

    while (b < blocks) {
        uint64_t n = blocks - b < run ? blocks - b : run;
        uint64_t *w = buf;

        for (uint64_t k = 0; k < n; k++) {
            uint64_t base = (b + k + TAG + 1) * PATTERN_K;

            for (size_t i = 0; i < bs / 8; i++)
                *w++ = base + i;
        }
        if (solo5_block_write(h, b * bs, (uint8_t *)buf, n * bs) != SOLO5_R_OK)
            return guest_failure("solo5_block_write failed");
        guest_puts("ack ");
        guest_put_dec(b);
        guest_puts(" ");
        guest_put_dec(n);
        guest_puts("\n");
        b += n;
        run = run % MAX_RUN + 1;
    }
    guest_puts("done\n");
    for (;;)
        solo5_yield(solo5_clock_monotonic() + 1000000000ULL, NULL);
}
