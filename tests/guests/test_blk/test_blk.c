/*
 * test_blk: the block device "storage" (ref §6.2).
 *
 * Exit statuses name the first failed check:
 *   1  solo5_block_acquire() failed
 *   2  block size or capacity unusable (not a power of two >= 512, capacity
 *      not a whole number of blocks, or buffers do not fit in the heap)
 *   3  writing every 10th block failed
 *   4  reading every 10th block back failed
 *   5  data read back differs from data written
 *   6  writing or reading back the last block failed or differed
 *   7  a write at the capacity (beyond the end) did not fail
 *   8  a read at the capacity (beyond the end) did not fail
 *   9  a transfer of block_size - 1 or + 1 bytes did not fail
 *   10 a transfer at a misaligned offset did not fail
 *   11 a transfer straddling the end did not fail
 */
#include "guest.h"

static int fail(int code, const char *why)
{
    guest_puts("FAILURE: ");
    guest_puts(why);
    guest_puts("\n");
    return code;
}

static void fill(uint8_t *buf, size_t size, uint64_t block)
{
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(block * 31 + i * 7 + 1);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    solo5_handle_t h;
    uint8_t *wbuf, *rbuf;
    size_t bs;
    uint64_t blocks, last;

    guest_banner("test_blk");

    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return fail(1, "solo5_block_acquire(storage)");
    bs = info.block_size;
    guest_puts("capacity ");
    guest_put_dec(info.capacity);
    guest_puts(" bytes, block size ");
    guest_put_dec(bs);
    guest_puts("\n");
    if (bs < 512 || (bs & (bs - 1)) || info.capacity == 0 || info.capacity % bs)
        return fail(2, "unusable block size or capacity");
    /* Two block buffers (+1 byte for the oversize check) from the bottom of
     * the heap; the stack is at its top. */
    if (4 * (bs + 1) > si->heap_size)
        return fail(2, "block buffers do not fit in the heap");
    wbuf = (uint8_t *)si->heap_start;
    rbuf = wbuf + bs + 1;
    blocks = info.capacity / bs;
    last = blocks - 1;

    for (uint64_t b = 0; b < blocks; b += 10) {
        fill(wbuf, bs, b);
        if (solo5_block_write(h, b * bs, wbuf, bs) != SOLO5_R_OK)
            return fail(3, "write of a block failed");
    }
    for (uint64_t b = 0; b < blocks; b += 10) {
        fill(wbuf, bs, b);
        memset(rbuf, 0, bs);
        if (solo5_block_read(h, b * bs, rbuf, bs) != SOLO5_R_OK)
            return fail(4, "read of a block failed");
        if (memcmp(wbuf, rbuf, bs) != 0)
            return fail(5, "data read back differs");
    }

    fill(wbuf, bs, last + 1000);
    memset(rbuf, 0, bs);
    if (solo5_block_write(h, last * bs, wbuf, bs) != SOLO5_R_OK ||
        solo5_block_read(h, last * bs, rbuf, bs) != SOLO5_R_OK ||
        memcmp(wbuf, rbuf, bs) != 0)
        return fail(6, "last block write/read/verify");

    if (solo5_block_write(h, info.capacity, wbuf, bs) == SOLO5_R_OK)
        return fail(7, "write beyond the end succeeded");
    if (solo5_block_read(h, info.capacity, rbuf, bs) == SOLO5_R_OK)
        return fail(8, "read beyond the end succeeded");

    if (solo5_block_write(h, 0, wbuf, bs - 1) == SOLO5_R_OK ||
        solo5_block_write(h, 0, wbuf, bs + 1) == SOLO5_R_OK ||
        solo5_block_read(h, 0, rbuf, bs - 1) == SOLO5_R_OK ||
        solo5_block_read(h, 0, rbuf, bs + 1) == SOLO5_R_OK)
        return fail(9, "transfer of a size other than the block size succeeded");

    if (solo5_block_write(h, 1, wbuf, bs) == SOLO5_R_OK ||
        solo5_block_read(h, bs / 2, rbuf, bs) == SOLO5_R_OK)
        return fail(10, "transfer at a misaligned offset succeeded");

    if (solo5_block_read(h, info.capacity - bs / 2, rbuf, bs) == SOLO5_R_OK)
        return fail(11, "transfer straddling the end succeeded");

    return guest_success();
}
