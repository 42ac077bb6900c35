/*
 * test_blk_seq: reads in order, as hvt's read-ahead serves them
 * (bindings/hvt/hvt_readahead.c: 64 KiB windows, reads of up to 16 KiB),
 * with writes between them.  Every target must pass it: it checks what a
 * read returns, not how.
 *
 * The host fills the device, or this guest first with `fill` (the
 * aarch64 VM has no tool for it): word i of block b holds b * 2^16 + i
 * (64-bit little-endian); a block this guest rewrites holds the
 * complement.  So
 * every read is checked without a copy of the device, and the host checks
 * afterwards that the rewritten blocks (printed) reached the file.
 *
 * A failure says which phase found it (FAILURE: <n>: ...):
 *   1  `fill` failed to write the pattern
 *   2  one-block reads in order over the first 256 blocks
 *   3  three-block reads in order (they straddle every window's end)
 *   4  eight-block reads in order to the device's end, then single blocks
 *   5  a block rewritten in the window being read and one in the window
 *      read ahead, in the middle of reading in order: the reads see them
 *   6  reads at scattered offsets, now and then two in a row
 *   7  in order again at the device's end (windows clamped to it)
 */
#include "guest.h"

#define PHASE2_BLOCKS 256
#define SCATTERED 2000

static uint64_t bs, blocks;
static solo5_handle_t h;
/* The blocks phase 5 rewrote (their words complemented). */
static uint64_t rewritten[2];
static unsigned n_rewritten;

static bool was_rewritten(uint64_t b)
{
    for (unsigned i = 0; i < n_rewritten; i++) {
        if (rewritten[i] == b)
            return true;
    }
    return false;
}

static uint64_t word(uint64_t b, uint64_t i)
{
    uint64_t w = (b << 16) + i;

    return was_rewritten(b) ? ~w : w;
}

/* Reads n blocks at block b and checks them. */
static bool read_check(uint8_t *buf, uint64_t b, uint64_t n)
{
    const uint64_t *w = (const uint64_t *)buf;

    memset(buf, 0xa5, n * bs);
    if (solo5_block_read(h, b * bs, buf, n * bs) != SOLO5_R_OK)
        return false;
    for (uint64_t k = 0; k < n; k++) {
        for (uint64_t i = 0; i < bs / 8; i++) {
            if (w[k * bs / 8 + i] != word(b + k, i))
                return false;
        }
    }
    return true;
}

/* Reads n blocks at a time from block `from` while they fit before `to`. */
static bool in_order(uint8_t *buf, uint64_t from, uint64_t to, uint64_t n)
{
    for (uint64_t b = from; b + n <= to; b += n) {
        if (!read_check(buf, b, n))
            return false;
    }
    return true;
}

static bool rewrite(uint8_t *buf, uint64_t b)
{
    uint64_t *w = (uint64_t *)buf;

    rewritten[n_rewritten++] = b;
    for (uint64_t i = 0; i < bs / 8; i++)
        w[i] = word(b, i);
    guest_puts("rewrote block ");
    guest_put_dec(b);
    guest_puts("\n");
    return solo5_block_write(h, b * bs, buf, bs) == SOLO5_R_OK;
}

/* Reading in order from `start`: two reads make the next window be read
 * ahead, the third takes from it and starts the one after; then one block
 * in each is rewritten, and reading goes on through both. */
static bool writes_between(uint8_t *buf, uint64_t start)
{
    uint64_t window = 65536 / bs;

    if (!in_order(buf, start, start + 3, 1))
        return false;
    if (!rewrite(buf, start + 4) || !rewrite(buf, start + 3 + window + 5))
        return false;
    return in_order(buf, start + 3, start + 3 + 2 * window + 8, 1);
}

/* The pattern over the whole device, 64 blocks a call. */
static bool fill(uint8_t *buf)
{
    uint64_t *w = (uint64_t *)buf;

    for (uint64_t b = 0; b < blocks; b += 64) {
        uint64_t n = blocks - b < 64 ? blocks - b : 64;

        for (uint64_t k = 0; k < n; k++) {
            for (uint64_t i = 0; i < bs / 8; i++)
                w[k * bs / 8 + i] = word(b + k, i);
        }
        if (solo5_block_write(h, b * bs, buf, n * bs) != SOLO5_R_OK)
            return false;
    }
    return true;
}

static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static bool scattered(uint8_t *buf)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL;

    for (unsigned k = 0; k < SCATTERED; k++) {
        uint64_t n = 1 + next_random(&x) % 3;
        uint64_t b = next_random(&x) % (blocks - n + 1);

        /* Now and then the block right after the last read. */
        if (!read_check(buf, b, n) || (k % 7 == 0 && b + 2 * n <= blocks &&
                    !read_check(buf, b + n, n)))
            return false;
    }
    return true;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    uint8_t *buf = (uint8_t *)((si->heap_start + 7) & ~7UL);

    guest_banner("test_blk_seq");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_block_acquire(storage)");
    bs = info.block_size;
    blocks = info.capacity / bs;
    if (bs < 512 || bs > 4096 || blocks < 4 * PHASE2_BLOCKS ||
            si->heap_size < 64 * 4096)
        return guest_failure("need 512-4096-byte blocks, 1024 of them");
    if (strcmp(si->cmdline, "fill") == 0 && !fill(buf))
        return guest_failure("1: filling the device");
    if (!in_order(buf, 0, PHASE2_BLOCKS, 1))
        return guest_failure("2: one-block reads in order");
    if (!in_order(buf, PHASE2_BLOCKS, 3 * PHASE2_BLOCKS, 3))
        return guest_failure("3: three-block reads in order");
    if (!in_order(buf, 3 * PHASE2_BLOCKS, blocks, 8) ||
            !in_order(buf, blocks - blocks % 8, blocks, 1))
        return guest_failure("4: eight-block reads to the end");
    if (!writes_between(buf, PHASE2_BLOCKS / 2))
        return guest_failure("5: writes between reads in order");
    if (!scattered(buf))
        return guest_failure("6: scattered reads");
    if (!in_order(buf, blocks - 5, blocks, 1) ||
            !read_check(buf, blocks - 1, 1))
        return guest_failure("7: reads at the device's end");
    return guest_success();
}
