/*
 * bench_blk: sequential block transfers for bench/devices.py.
 *
 *   bench_blk read|write|scattered SIZE TOTAL
 *
 * moves TOTAL bytes through "storage" in calls of SIZE bytes (a multiple of
 * the block size), from offset 0 on, wrapping at the capacity (scattered:
 * reads at SIZE-aligned offsets drawn by bench_next_offset(), the same
 * sequence bench/blk_host.c draws), and prints
 *   bench_blk: <op> size=<SIZE> bytes=<TOTAL> ns=<elapsed>
 */
#include "bench_args.h"

/* xorshift64: the n-th offset is the same here and in bench/blk_host.c. */
static uint64_t bench_next_offset(uint64_t *x, uint64_t size, uint64_t capacity)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x % (capacity / size) * size;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char w[BENCH_MAX_WORDS][BENCH_WORD_SIZE];
    struct solo5_block_info info;
    solo5_handle_t h;
    uint64_t size, total, off = 0, done = 0, t0, t1, x = 1;
    uint8_t *buf = (uint8_t *)si->heap_start;
    bool write, scattered;

    if (bench_words(si->cmdline, w) != 3 || !guest_parse_dec(w[1], &size) ||
        !guest_parse_dec(w[2], &total))
        return guest_failure("usage: read|write|scattered SIZE TOTAL");
    write = strcmp(w[0], "write") == 0;
    scattered = strcmp(w[0], "scattered") == 0;
    if (!write && !scattered && strcmp(w[0], "read") != 0)
        return guest_failure("usage: read|write|scattered SIZE TOTAL");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_block_acquire(storage)");
    if (size == 0 || size % info.block_size || size > info.capacity || size > si->heap_size / 2)
        return guest_failure("SIZE must be whole blocks, fit the device and the heap");
    memset(buf, 0x5a, size);

    t0 = solo5_clock_monotonic();
    while (done < total) {
        solo5_result_t r;

        if (scattered)
            off = bench_next_offset(&x, size, info.capacity);
        else if (off + size > info.capacity)
            off = 0;
        r = write ? solo5_block_write(h, off, buf, size) : solo5_block_read(h, off, buf, size);
        if (r != SOLO5_R_OK)
            return guest_failure("transfer failed");
        off += size;
        done += size;
    }
    t1 = solo5_clock_monotonic();
    guest_puts("bench_blk: ");
    guest_puts(w[0]);
    guest_puts(" size=");
    guest_put_dec(size);
    guest_puts(" bytes=");
    guest_put_dec(done);
    guest_puts(" ns=");
    guest_put_dec(t1 - t0);
    guest_puts("\n");
    return guest_success();
}
