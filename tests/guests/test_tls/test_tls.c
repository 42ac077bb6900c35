/*
 * test_tls: two TLS blocks, switching the TLS base between them.
 *
 * Exits with a distinct status (1-11) naming the first check that failed,
 * after printing it; SUCCESS otherwise.
 */
#include "guest.h"

#define POOL_SIZE 0x10000

static _Alignas(64) uint8_t pool[POOL_SIZE];
static size_t pool_used;

/* An initialised (.tdata) and a zeroed (.tbss) thread-local variable. */
static __thread volatile uint64_t tdata_value = 0xC0FFEE;
static __thread volatile uint64_t tbss_value;

/* Zeroed, 64-byte aligned memory from the static pool (bss: already zero). */
static uintptr_t pool_alloc(size_t size)
{
    uintptr_t block;

    size = (size + 63) & ~(size_t)63;
    if (size > POOL_SIZE - pool_used)
        return 0;
    block = (uintptr_t)&pool[pool_used];
    pool_used += size;
    return block;
}

/* Kept out of line so that every access goes through %fs as set now: the
 * compiler may otherwise reuse a thread pointer across a base switch. */
__attribute__((noinline)) static uint64_t get_tdata(void)
{
    return tdata_value;
}

__attribute__((noinline)) static uint64_t get_tbss(void)
{
    return tbss_value;
}

__attribute__((noinline)) static void set_tbss(uint64_t value)
{
    tbss_value = value;
}

static int fail(int code, const char *why)
{
    guest_puts("FAILURE: ");
    guest_puts(why);
    guest_puts("\n");
    return code;
}

static bool use_block(uintptr_t block)
{
    return solo5_set_tls_base(solo5_tls_tp_offset(block)) == SOLO5_R_OK;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    uintptr_t a, b;
    size_t size = solo5_tls_size();

    (void)si;
    guest_banner("test_tls");

    a = pool_alloc(size);
    b = pool_alloc(size);
    if (size == 0 || a == 0 || b == 0)
        return fail(1, "solo5_tls_size() is 0 or too large for the pool");
    if (solo5_tls_init(a) != SOLO5_R_OK)
        return fail(2, "solo5_tls_init(a) failed");
    if (solo5_tls_init(b) != SOLO5_R_OK)
        return fail(3, "solo5_tls_init(b) failed");

    if (!use_block(a))
        return fail(4, "solo5_set_tls_base(a) failed");
    if (get_tdata() != 0xC0FFEE)
        return fail(5, "initialised __thread value not copied into block a");
    if (get_tbss() != 0)
        return fail(6, "zeroed __thread value is not 0 in block a");
    set_tbss(1);

    if (!use_block(b))
        return fail(7, "solo5_set_tls_base(b) failed");
    if (get_tbss() != 0)
        return fail(8, "block b sees block a's value");
    if (get_tdata() != 0xC0FFEE)
        return fail(9, "initialised __thread value not copied into block b");
    set_tbss(2);

    if (!use_block(a) || get_tbss() != 1)
        return fail(10, "block a lost its value after switching back");
    if (!use_block(b) || get_tbss() != 2)
        return fail(11, "block b lost its value after switching back");

    return guest_success();
}
