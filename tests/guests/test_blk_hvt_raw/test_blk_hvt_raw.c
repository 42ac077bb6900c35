/*
 * test_blk_hvt_raw (hvt only): BLOCK_WRITE and BLOCK_READ hypercalls issued
 * by hand, bypassing the bindings' checks, so that the tender's own checks
 * are what is tested.  Every malformed request must come back as
 * SOLO5_R_EINVAL without touching the file; the well-formed ones (one block,
 * several blocks, the whole device) must succeed.  Prints one line per case,
 * "<case>: <ret>", then SUCCESS if every answer was the expected one.
 */
#include "guest.h"
#include "hvt_abi.h"

static uint8_t buf[3 * 4096] __attribute__((aligned(4096)));

/* The hypercall instruction itself (test_blk_hvt_raw_<arch>.c). */
void raw_hypercall(unsigned nr, volatile void *arg);

static int raw(unsigned nr, uint64_t handle, uint64_t offset, uint64_t len)
{
    volatile struct hvt_hc_block_write a;

    a.handle = handle;
    a.offset = offset;
    a.data = buf;
    a.len = len;
    a.ret = -1;
    raw_hypercall(nr, &a);
    return a.ret;
}

static bool expect(const char *name, uint64_t handle, uint64_t offset, uint64_t len, int want)
{
    int w = raw(HVT_HYPERCALL_BLOCK_WRITE, handle, offset, len);
    int r = raw(HVT_HYPERCALL_BLOCK_READ, handle, offset, len);

    guest_puts(name);
    guest_puts(": write ");
    guest_put_dec((uint64_t)w);
    guest_puts(", read ");
    guest_put_dec((uint64_t)r);
    guest_puts(w == want && r == want ? "\n" : "  UNEXPECTED\n");
    return w == want && r == want;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct solo5_block_info info;
    solo5_handle_t h;
    uint64_t bs, cap;
    bool ok = true;

    (void)si;
    guest_banner("test_blk_hvt_raw");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_block_acquire(storage)");
    bs = info.block_size;
    cap = info.capacity;
    if (3 * bs > sizeof(buf) || cap < 3 * bs)
        return guest_failure("need block size <= 4096 and 3 blocks");
    memset(buf, 0xa5, sizeof(buf));

    ok &= expect("one block at 0", h, 0, bs, SOLO5_R_OK);
    ok &= expect("three blocks at the end", h, cap - 3 * bs, 3 * bs, SOLO5_R_OK);
    ok &= expect("beyond the end", h, cap, bs, SOLO5_R_EINVAL);
    ok &= expect("straddling the end", h, cap - bs, 2 * bs, SOLO5_R_EINVAL);
    ok &= expect("misaligned offset", h, bs / 2, bs, SOLO5_R_EINVAL);
    ok &= expect("partial block", h, 0, bs - 1, SOLO5_R_EINVAL);
    ok &= expect("block and a half", h, 0, bs + bs / 2, SOLO5_R_EINVAL);
    ok &= expect("zero length", h, 0, 0, SOLO5_R_EINVAL);
    ok &= expect("offset + len wraps", h, bs, 0 - bs, SOLO5_R_EINVAL);
    ok &= expect("offset near 2^64", h, 0 - bs, bs, SOLO5_R_EINVAL);
    ok &= expect("handle 0", 0, 0, bs, SOLO5_R_EINVAL);
    ok &= expect("handle past the manifest", 64, 0, bs, SOLO5_R_EINVAL);
    return ok ? guest_success() : guest_failure("the tender accepted a bad request");
}
