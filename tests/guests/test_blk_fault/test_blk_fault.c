/*
 * test_blk_fault: block I/O while the host fails it (tests/faults/).
 *
 *   test_blk_fault [pace=MS] [wait=S]
 *
 * Writes every block of "storage" once, one block per call (block b holds
 * the test_blk pattern with tag b + 4000000), yielding MS milliseconds
 * after each (default 0), and prints "w <b> ok" or "w <b> eunspec" per
 * block, then "written <ok> <eunspec>".  Then it waits S seconds (default
 * 0: the test changes the file meanwhile), reads every block back and
 * prints "r <b> ok", "r <b> eunspec" or "r <b> bad" (read OK, but not what
 * an acknowledged write put there), then "read <ok> <eunspec> <bad>".
 * SUCCESS if no block was bad: a host error must reach the guest as
 * SOLO5_R_EUNSPEC, never as wrong data, and the guest goes on.  Any other
 * result of a call is a FAILURE.
 */
#include "guest.h"

#define PATTERN_K 0x9E3779B97F4A7C15ULL
#define TAG 4000000
#define NSEC_PER_MSEC 1000000ULL
#define MAX_BLOCKS 4096

static uint8_t acked[MAX_BLOCKS];

static void fill(uint64_t *w, uint64_t b, size_t bs)
{
    uint64_t base = (b + TAG + 1) * PATTERN_K;

    for (size_t i = 0; i < bs / 8; i++)
        w[i] = base + i;
}

/* "KEY<number>" anywhere in the command line: false if malformed. */
static bool parse_arg(const char *cmdline, const char *key, uint64_t *value)
{
    size_t n = strlen(key);

    for (const char *s = cmdline; *s; s++) {
        size_t i = 0;

        while (i < n && s[i] == key[i])
            i++;
        if (i == n && (s == cmdline || s[-1] == ' '))
            return guest_parse_dec(s + n, value);
    }
    return true;
}

static void pause_ms(uint64_t ms)
{
    if (ms > 0)
        solo5_yield(solo5_clock_monotonic() + ms * NSEC_PER_MSEC, NULL);
}

static void put_result(const char *op, uint64_t b, const char *what)
{
    guest_puts(op);
    guest_put_dec(b);
    guest_puts(what);
}

static void put_totals(const char *what, uint64_t a, uint64_t b, const uint64_t *c)
{
    guest_puts(what);
    guest_put_dec(a);
    guest_puts(" ");
    guest_put_dec(b);
    if (c != NULL) {
        guest_puts(" ");
        guest_put_dec(*c);
    }
    guest_puts("\n");
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    solo5_handle_t h;
    uint64_t pace = 0, wait = 0, blocks, ok = 0, eunspec = 0, bad = 0;
    uint64_t *buf, *want;
    solo5_result_t r;
    size_t bs;

    guest_banner("test_blk_fault");
    if (!parse_arg(si->cmdline, "pace=", &pace) || !parse_arg(si->cmdline, "wait=", &wait))
        return guest_failure("usage: [pace=MS] [wait=S]");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_block_acquire(storage)");
    bs = info.block_size;
    blocks = info.capacity / bs;
    if (blocks > MAX_BLOCKS || 2 * bs > si->heap_size / 2)
        return guest_failure("the device is too large for this test");
    buf = (uint64_t *)((si->heap_start + 7) & ~7UL);
    want = buf + bs / 8;

    for (uint64_t b = 0; b < blocks; b++) {
        fill(buf, b, bs);
        r = solo5_block_write(h, b * bs, (uint8_t *)buf, bs);
        if (r != SOLO5_R_OK && r != SOLO5_R_EUNSPEC)
            return guest_failure("solo5_block_write: neither OK nor EUNSPEC");
        acked[b] = r == SOLO5_R_OK;
        acked[b] ? ok++ : eunspec++;
        put_result("w ", b, acked[b] ? " ok\n" : " eunspec\n");
        pause_ms(pace);
    }
    put_totals("written ", ok, eunspec, NULL);
    pause_ms(wait * 1000);

    ok = eunspec = 0;
    for (uint64_t b = 0; b < blocks; b++) {
        r = solo5_block_read(h, b * bs, (uint8_t *)buf, bs);
        if (r != SOLO5_R_OK && r != SOLO5_R_EUNSPEC)
            return guest_failure("solo5_block_read: neither OK nor EUNSPEC");
        fill(want, b, bs);
        if (r == SOLO5_R_EUNSPEC) {
            eunspec++;
            put_result("r ", b, " eunspec\n");
        } else if (acked[b] && memcmp(buf, want, bs) != 0) {
            bad++;
            put_result("r ", b, " bad\n");
        } else {
            ok++;
            put_result("r ", b, " ok\n");
        }
    }
    put_totals("read ", ok, eunspec, &bad);
    return bad == 0 ? guest_success() : guest_failure("a read returned wrong data");
}
