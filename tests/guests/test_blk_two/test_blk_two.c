/*
 * test_blk_two: two block devices read in order, in turns, with a write to
 * the second at the offset the first is being read ahead from (hvt's
 * read-ahead, bindings/hvt/hvt_readahead.c, keys its windows by device).
 *
 * The host fills both: word i of block b of device d (0: "first",
 * 1: "second") holds d * 2^56 + b * 2^16 + i; the one block this guest
 * rewrites holds the complement, and it says which ("rewrote block N").
 */
#include "guest.h"

#define BLOCKS 512              /* read of each device, in turns */
#define REWRITE_AT 40           /* where the second device is rewritten */

static solo5_handle_t dev[2];
static uint64_t bs;
static uint64_t rewritten = UINT64_MAX;  /* on the second device */

static uint64_t word(unsigned d, uint64_t b, uint64_t i)
{
    uint64_t w = ((uint64_t)d << 56) + (b << 16) + i;

    return d == 1 && b == rewritten ? ~w : w;
}

static bool read_check(uint8_t *buf, unsigned d, uint64_t b)
{
    const uint64_t *w = (const uint64_t *)buf;

    memset(buf, 0xa5, bs);
    if (solo5_block_read(dev[d], b * bs, buf, bs) != SOLO5_R_OK)
        return false;
    for (uint64_t i = 0; i < bs / 8; i++) {
        if (w[i] != word(d, b, i))
            return false;
    }
    return true;
}

static bool rewrite(uint8_t *buf, uint64_t b)
{
    uint64_t *w = (uint64_t *)buf;

    rewritten = b;
    for (uint64_t i = 0; i < bs / 8; i++)
        w[i] = word(1, b, i);
    guest_puts("rewrote block ");
    guest_put_dec(b);
    guest_puts("\n");
    return solo5_block_write(dev[1], b * bs, buf, bs) == SOLO5_R_OK;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    static const char *const names[2] = { "first", "second" };
    uint8_t *buf = (uint8_t *)((si->heap_start + 7) & ~7UL);
    struct solo5_block_info info[2];

    guest_banner("test_blk_two");
    for (unsigned d = 0; d < 2; d++) {
        if (solo5_block_acquire(names[d], &dev[d], &info[d]) != SOLO5_R_OK)
            return guest_failure("solo5_block_acquire");
    }
    bs = info[0].block_size;
    if (bs != info[1].block_size || info[0].capacity < BLOCKS * bs ||
            info[1].capacity < BLOCKS * bs)
        return guest_failure("need two devices of 512 blocks alike");
    /* Four blocks in order of one device, then the same four of the other:
     * each run starts a read-ahead, the other device's window is kept or
     * replaced, and neither is ever served from the other's. */
    for (uint64_t b = 0; b < BLOCKS; b += 4) {
        if (b == REWRITE_AT && !rewrite(buf, b + 8))
            return guest_failure("write to the second device");
        for (unsigned d = 0; d < 2; d++) {
            for (uint64_t k = b; k < b + 4; k++) {
                if (!read_check(buf, d, k))
                    return guest_failure(d == 0 ? "first device's data" :
                            "second device's data");
            }
        }
    }
    return guest_success();
}
