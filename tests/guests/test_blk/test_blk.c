/*
 * test_blk: the block device "storage" (ref §6.2, plus multi-block
 * transfers, which upstream does not have).
 *
 * Every block written holds a pattern of 64-bit little-endian words,
 * word i of a block tagged T being (T + 1) * 0x9E3779B97F4A7C15 + i, so the
 * host can check the file afterwards (tests/integration/test_spt_devices.py
 * knows the tags: see the layout below).  Words, not bytes, keep the guest
 * cheap where its code runs slowly (hvt at CPL0 on kvm-pvm).
 *
 * Final layout of the device, in block numbers (blocks = capacity / bs):
 *   b % 10 == 0            tag b           (written one block per call)
 *   [1, 1 + A)             tag b + 1000000 (one call), A = min(37, blocks - 2)
 *   [blocks - B, blocks)   tag b + 2000000 (one call), B = as many blocks as
 *                          the buffers allow, at most `blocks`; written last
 *   everything else        zero
 *
 * Exit statuses name the first failed check:
 *   1  solo5_block_acquire() failed
 *   2  block size or capacity unusable, or the buffers do not fit
 *   3  first block: write, read or verify failed
 *   4  writing every 10th block failed
 *   5  reading every 10th block back failed or differed
 *   6  last block: write, read or verify failed
 *   7  multi-block transfer at offset 1 block: write, read or verify failed
 *   8  multi-block transfer ending at the end of the device failed
 *   9  blocks of a multi-block write read one by one differ
 *   10 a transfer at or beyond the end did not fail
 *   11 a transfer straddling the end did not fail
 *   12 a transfer of a partial block (or of 0 bytes) did not fail
 *   13 a transfer at a misaligned offset did not fail
 *   14 a transfer whose offset + size overflows did not fail
 */
#include "guest.h"

#define PATTERN_K 0x9E3779B97F4A7C15ULL
#define TAG_A 1000000
#define TAG_B 2000000
#define MULTI_A 37

static size_t bs;
static uint64_t blocks;

static int fail(int code, const char *why)
{
    guest_puts("FAILURE: ");
    guest_puts(why);
    guest_puts("\n");
    return code;
}

/* `n` blocks, the first tagged `tag`, each next one tag + 1. */
static void fill(uint8_t *buf, uint64_t n, uint64_t tag)
{
    uint64_t *w = (uint64_t *)buf;

    for (uint64_t b = 0; b < n; b++) {
        uint64_t base = (tag + b + 1) * PATTERN_K;

        for (size_t i = 0; i < bs / 8; i++)
            *w++ = base + i;
    }
}

static bool same(const uint8_t *a, const uint8_t *b, uint64_t n)
{
    const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;

    for (uint64_t i = 0; i < n * bs / 8; i++) {
        if (x[i] != y[i])
            return false;
    }
    return true;
}

/* Writes n blocks tagged from `tag` at block `first` in one call, reads
 * them back in one call and compares. */
static bool write_verify(solo5_handle_t h, uint8_t *wbuf, uint8_t *rbuf,
                         uint64_t first, uint64_t n, uint64_t tag)
{
    fill(wbuf, n, tag);
    memset(rbuf, 0, n * bs);
    return solo5_block_write(h, first * bs, wbuf, n * bs) == SOLO5_R_OK &&
           solo5_block_read(h, first * bs, rbuf, n * bs) == SOLO5_R_OK &&
           same(wbuf, rbuf, n);
}

static bool refused(solo5_handle_t h, solo5_off_t off, uint8_t *buf, size_t size)
{
    return solo5_block_write(h, off, buf, size) != SOLO5_R_OK &&
           solo5_block_read(h, off, buf, size) != SOLO5_R_OK;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    solo5_handle_t h;
    uint8_t *wbuf, *rbuf;
    uint64_t last, cap, buf_blocks, multi_a, multi_b;

    guest_banner("test_blk");

    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return fail(1, "solo5_block_acquire(storage)");
    bs = info.block_size;
    cap = info.capacity;
    guest_puts("capacity ");
    guest_put_dec(cap);
    guest_puts(" bytes, block size ");
    guest_put_dec(bs);
    guest_puts("\n");
    if (bs < 512 || (bs & (bs - 1)) || cap < 3 * bs || cap % bs)
        return fail(2, "unusable block size or capacity (need 3 blocks)");
    blocks = cap / bs;
    last = blocks - 1;
    /* Two buffers of a third of the heap each; the stack is at its top. */
    buf_blocks = si->heap_size / 3 / bs;
    if (buf_blocks < MULTI_A)
        return fail(2, "block buffers do not fit in the heap");
    wbuf = (uint8_t *)((si->heap_start + 7) & ~7UL);
    rbuf = wbuf + buf_blocks * bs;
    multi_a = blocks - 2 < MULTI_A ? blocks - 2 : MULTI_A;
    multi_b = buf_blocks < blocks ? buf_blocks : blocks;

    if (!write_verify(h, wbuf, rbuf, 0, 1, 0))
        return fail(3, "first block write/read/verify");

    for (uint64_t b = 0; b < blocks; b += 10) {
        fill(wbuf, 1, b);
        if (solo5_block_write(h, b * bs, wbuf, bs) != SOLO5_R_OK)
            return fail(4, "write of a block failed");
    }
    for (uint64_t b = 0; b < blocks; b += 10) {
        fill(wbuf, 1, b);
        memset(rbuf, 0, bs);
        if (solo5_block_read(h, b * bs, rbuf, bs) != SOLO5_R_OK || !same(wbuf, rbuf, 1))
            return fail(5, "read of a block failed or differs");
    }

    if (!write_verify(h, wbuf, rbuf, last, 1, last + 1000))
        return fail(6, "last block write/read/verify");

    if (!write_verify(h, wbuf, rbuf, 1, multi_a, 1 + TAG_A))
        return fail(7, "multi-block transfer at block 1");
    guest_puts("multi-block: ");
    guest_put_dec(multi_a);
    guest_puts(" blocks at block 1, ");
    if (!write_verify(h, wbuf, rbuf, blocks - multi_b, multi_b, blocks - multi_b + TAG_B))
        return fail(8, "multi-block transfer ending at the end of the device");
    guest_put_dec(multi_b);
    guest_puts(" blocks at the end\n");
    /* The one-call write put every block where it belongs. */
    for (uint64_t b = blocks - multi_b; b < blocks; b += (multi_b + 2) / 3) {
        fill(wbuf, 1, b + TAG_B);
        if (solo5_block_read(h, b * bs, rbuf, bs) != SOLO5_R_OK || !same(wbuf, rbuf, 1))
            return fail(9, "a block of a multi-block write differs");
    }
    fill(wbuf, 1, last + TAG_B);
    if (solo5_block_read(h, last * bs, rbuf, bs) != SOLO5_R_OK || !same(wbuf, rbuf, 1))
        return fail(9, "the last block of a multi-block write differs");

    if (!refused(h, cap, rbuf, bs) || !refused(h, cap + bs, rbuf, bs) ||
        !refused(h, cap, rbuf, 2 * bs))
        return fail(10, "a transfer beyond the end succeeded");
    if (!refused(h, last * bs, rbuf, 2 * bs) || !refused(h, 0, rbuf, cap + bs))
        return fail(11, "a transfer straddling the end succeeded");
    if (!refused(h, 0, rbuf, bs - 1) || !refused(h, 0, rbuf, bs + 1) ||
        !refused(h, 0, rbuf, 2 * bs - 1) || !refused(h, 0, rbuf, bs / 2) ||
        !refused(h, 0, rbuf, 0))
        return fail(12, "a transfer of a partial block succeeded");
    if (!refused(h, 1, rbuf, bs) || !refused(h, bs / 2, rbuf, bs) ||
        !refused(h, bs + 8, rbuf, 2 * bs))
        return fail(13, "a transfer at a misaligned offset succeeded");
    /* offset + size wraps around to a small number. */
    if (!refused(h, bs, rbuf, (size_t)(0 - (uint64_t)bs)) ||
        !refused(h, (solo5_off_t)(0 - (uint64_t)bs), rbuf, bs))
        return fail(14, "a transfer with an overflowing offset succeeded");

    return guest_success();
}
