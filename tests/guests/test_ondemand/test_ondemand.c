/*
 * test_ondemand: one first touch of memory far into the heap, by the kind
 * of access the command line names, then checks what it reads.
 *
 * On solo5-hvt (x86_64) guest memory past the image's first MiBs and below
 * the stack gets its KVM slot only when the guest first touches it
 * (tenders/hvt/hvt_kvm_slot.c): the first access is taken by KVM for MMIO
 * (store, load, straddle, rep_*, lock, block) or ends in an emulation
 * failure (sse_*, on kvm-pvm), and the tender must complete it or run it
 * again so that the guest sees plain memory.  Each run makes one first
 * touch, of one kind:
 *
 *   store, load       a byte stored / 8 bytes loaded at heap + 16 MiB
 *   sse_store, sse_load  16 bytes through an SSE register
 *   rep_stos, rep_movs   8 KiB (two pages) by one string instruction
 *   lock              a locked add
 *   straddle          8 bytes across heap + 8 MiB (where the slots split)
 *   straddle_sse      16 bytes across it through an SSE register
 *   block             a block read into it first, then loads: the data the
 *                     tender wrote there, not zeroes
 *
 * It prints "heap 0x<heap_start>" first, then SUCCESS (tests/hvt/
 * test_mem_on_demand.py).
 */
#include "guest.h"
#include "test_ondemand.h"

#define MIB (1024UL * 1024)
#define SPAN 8192

static uint8_t pattern[SPAN];

static bool all_are(const volatile uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

/* The disk's first block, as tests/hvt/test_mem_on_demand.py writes it. */
static uint8_t disk_byte(size_t i)
{
    return (uint8_t)(i * 13 + 7);
}

static const char *touch_block(uint8_t *at)
{
    struct solo5_block_info info;
    solo5_handle_t h;

    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return "no block device";
    if (info.block_size > SPAN ||
            solo5_block_read(h, 0, at, info.block_size) != SOLO5_R_OK)
        return "the block read failed";
    for (size_t i = 0; i < info.block_size; i++)
        if (((volatile uint8_t *)at)[i] != disk_byte(i))
            return "the block's data is not what the disk holds";
    return NULL;
}

static const char *touch_plain(const char *how, uint8_t *at)
{
    volatile uint8_t *v = at;
    uint8_t out[16];

    if (strcmp(how, "store") == 0) {
        v[0] = 0xa5;
        return v[0] == 0xa5 && v[1] == 0 && v[-1] == 0 ? NULL : "store";
    }
    if (strcmp(how, "load") == 0) {
        if (*(volatile uint64_t *)at != 0)
            return "fresh memory is not zero";
        *(volatile uint64_t *)at = 42;
        return *(volatile uint64_t *)at == 42 ? NULL : "load";
    }
    if (strcmp(how, "sse_store") == 0) {
        touch_sse_store(at, pattern);
        return memcmp(at, pattern, 16) == 0 && v[16] == 0 ? NULL : "sse_store";
    }
    if (strcmp(how, "sse_load") == 0) {
        memset(out, 0xff, sizeof(out));
        touch_sse_load(out, at);
        return all_are(out, sizeof(out), 0) ? NULL : "sse_load";
    }
    return "";
}

static const char *touch_more(const char *how, uint8_t *at, uint8_t *split)
{
    volatile uint8_t *v = at;

    if (strcmp(how, "rep_stos") == 0) {
        touch_rep_stos(at, 0x5a, SPAN);
        return all_are(v, SPAN, 0x5a) && v[SPAN] == 0 ? NULL : "rep_stos";
    }
    if (strcmp(how, "rep_movs") == 0) {
        touch_rep_movs(at, pattern, SPAN);
        return memcmp(at, pattern, SPAN) == 0 ? NULL : "rep_movs";
    }
    if (strcmp(how, "lock") == 0) {
        uint64_t old = touch_lock_xadd((uint64_t *)at, 5);

        return old == 0 && *(volatile uint64_t *)at == 5 ? NULL : "lock";
    }
    if (strcmp(how, "straddle") == 0) {
        volatile uint64_t *p = (volatile uint64_t *)(split - 4);

        *p = 0x1122334455667788ULL;
        return *p == 0x1122334455667788ULL && split[-5] == 0 &&
            split[4] == 0 ? NULL : "straddle";
    }
    if (strcmp(how, "straddle_sse") == 0) {
        touch_sse_store(split - 8, pattern);
        return memcmp(split - 8, pattern, 16) == 0 ? NULL : "straddle_sse";
    }
    if (strcmp(how, "block") == 0)
        return touch_block(at);
    return "unknown kind of touch";
}

int solo5_app_main(const struct solo5_start_info *si)
{
    uint8_t *heap = (uint8_t *)si->heap_start;
    const char *how = si->cmdline, *failed;

    guest_banner("test_ondemand");
    guest_puts("heap ");
    guest_put_hex(si->heap_start);
    guest_puts("\n");
    if (si->heap_size < 32 * MIB)
        return guest_failure("needs a heap of 32 MiB or more");
    for (size_t i = 0; i < SPAN; i++)
        pattern[i] = (uint8_t)(i * 7 + 1);
    failed = touch_plain(how, heap + 16 * MIB);
    if (failed != NULL && failed[0] == '\0')
        failed = touch_more(how, heap + 16 * MIB, heap + 8 * MIB);
    return failed == NULL ? guest_success() : guest_failure(failed);
}
