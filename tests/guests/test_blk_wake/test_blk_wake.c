/*
 * test_blk_wake: block requests one after the other, made after a pause
 * long enough for solo5-hvt's I/O thread to fall asleep (so the first one
 * kicks it).  Argument: how many requests, each a one-block read at a
 * scattered offset (not read ahead).  Then prints "parked" and waits, so
 * that the host can read the tender's counters (tests/hvt/test_block_wake.py),
 * until it is killed.
 */
#include "guest.h"

/* solo5-hvt's I/O thread sleeps after ~50-200 us without work. */
#define PAUSE_NS (20ULL * 1000 * 1000)
#define PARKED_NS (60ULL * 1000 * 1000 * 1000)
/* Consecutive requests never follow each other on the device (the stride
 * is no multiple of its size plus one block), so none is read ahead. */
#define STRIDE 7919

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    uint64_t requests, blocks;
    solo5_handle_t h;
    uint8_t *buf = (uint8_t *)si->heap_start;

    if (!guest_parse_dec(si->cmdline, &requests))
        return guest_failure("usage: REQUESTS");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_block_acquire(storage)");
    if (info.block_size > si->heap_size)
        return guest_failure("a block does not fit in the heap");
    blocks = info.capacity / info.block_size;
    if (blocks == 0)
        return guest_failure("the device holds no whole block");
    solo5_yield(solo5_clock_monotonic() + PAUSE_NS, NULL);
    for (uint64_t i = 0; i < requests; i++) {
        solo5_off_t at = (i * STRIDE) % blocks * info.block_size;

        if (solo5_block_read(h, at, buf, info.block_size) != SOLO5_R_OK)
            return guest_failure("solo5_block_read failed");
    }
    guest_puts("parked\n");
    solo5_yield(solo5_clock_monotonic() + PARKED_NS, NULL);
    return guest_success();
}
