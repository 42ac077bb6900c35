/*
 * test_crowd: one of many instances running at once (tests/faults/,
 * 1000 concurrent tenders).
 *
 *   test_crowd ID [write]
 *
 * Looks at block 0 of "storage" (one file shared by every instance) every
 * 5 seconds until it starts with "SOLO5-GO", printing "ready" after the first
 * look, so that the test knows when every instance is up at the same
 * time.  Then, with `write`, it fills block ID + 1 with the 64-bit word ID
 * and reads it back.  Prints "hello from ID" and SUCCESS.
 */
#include "guest.h"

#define GO "SOLO5-GO"
#define POLL_NSEC 5000000000ULL
#define MAX_BLOCK_SIZE 4096

static uint64_t block[MAX_BLOCK_SIZE / 8];

static bool parse(const char *s, uint64_t *id, bool *write)
{
    if (!guest_parse_dec(s, id))
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    *write = strcmp(s, " write") == 0;
    return *write || *s == '\0';
}

static int write_own_block(solo5_handle_t h, size_t bs, uint64_t id)
{
    for (size_t i = 0; i < bs / 8; i++)
        block[i] = id;
    if (solo5_block_write(h, (id + 1) * bs, (uint8_t *)block, bs) != SOLO5_R_OK)
        return guest_failure("solo5_block_write");
    memset(block, 0, bs);
    if (solo5_block_read(h, (id + 1) * bs, (uint8_t *)block, bs) != SOLO5_R_OK)
        return guest_failure("solo5_block_read");
    for (size_t i = 0; i < bs / 8; i++)
        if (block[i] != id)
            return guest_failure("read back something else");
    return SOLO5_EXIT_SUCCESS;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    solo5_handle_t h;
    uint64_t id;
    bool write, ready = false;
    size_t bs;

    guest_banner("test_crowd");
    if (!parse(si->cmdline, &id, &write))
        return guest_failure("usage: ID [write]");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_block_acquire(storage)");
    bs = info.block_size;
    if (bs > MAX_BLOCK_SIZE || (id + 2) * bs > info.capacity)
        return guest_failure("the device is too small for this ID");
    for (;;) {
        if (solo5_block_read(h, 0, (uint8_t *)block, bs) != SOLO5_R_OK)
            return guest_failure("solo5_block_read(0)");
        if (memcmp(block, GO, sizeof(GO) - 1) == 0)
            break;
        if (!ready) {
            guest_puts("ready\n");
            ready = true;
        }
        solo5_yield(solo5_clock_monotonic() + POLL_NSEC, NULL);
    }
    if (write && write_own_block(h, bs, id) != SOLO5_EXIT_SUCCESS)
        return SOLO5_EXIT_FAILURE;
    guest_puts("hello from ");
    guest_put_dec(id);
    guest_puts("\n");
    return guest_success();
}
