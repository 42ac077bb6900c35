/*
 * test_blk_hostile (spt only): a guest that bypasses the bindings and asks
 * Linux itself for block transfers outside its device, on the device's own
 * fd (found in the manifest copy the tender left at the boot info).  The
 * seccomp filter must kill it (SIGSYS, status 159) before the file grows.
 *
 *   test_blk_hostile inside     pwrite64 of one block at 0: allowed, prints
 *                               "pwrite64 returned <n>" and SUCCESS
 *   test_blk_hostile beyond     pwrite64 of one block at the capacity
 *   test_blk_hostile straddle   pwrite64 of two blocks at capacity - 1 block
 *   test_blk_hostile huge       pwrite64 of capacity + 1 block at 0
 *   test_blk_hostile far        pwrite64 of one block at 1 TiB
 *   test_blk_hostile read       pread64 of one block at the capacity
 *
 * Every case but "inside" prints what the call returned and FAILURE if it
 * comes back at all.
 */
#include "guest.h"
#include "mft_abi.h"
#include "spt_abi.h"

/* test_blk_hostile_<arch>.c: pread64 (write = 0) or pwrite64 (write = 1)
 * as a raw system call. */
long sys_transfer(int write, long fd, long buf, long count, long offset);

int solo5_app_main(const struct solo5_start_info *si)
{
    const struct spt_boot_info *bi =
        (const struct spt_boot_info *)guest_launder(SPT_BOOT_INFO_BASE);
    const struct mft *mft = bi->mft;
    struct solo5_block_info info;
    solo5_handle_t h;
    uint64_t bs, cap, off, count;
    long ret;
    int is_write = 1;
    int fd;

    guest_banner("test_blk_hostile");
    if (solo5_block_acquire("storage", &h, &info) != SOLO5_R_OK || h >= mft->entries)
        return guest_failure("solo5_block_acquire(storage)");
    fd = mft->e[h].b.hostfd;
    bs = info.block_size;
    cap = info.capacity;

    if (strcmp(si->cmdline, "inside") == 0) {
        off = 0;
        count = bs;
    } else if (strcmp(si->cmdline, "beyond") == 0) {
        off = cap;
        count = bs;
    } else if (strcmp(si->cmdline, "straddle") == 0) {
        off = cap - bs;
        count = 2 * bs;
    } else if (strcmp(si->cmdline, "huge") == 0) {
        off = 0;
        count = cap + bs;
    } else if (strcmp(si->cmdline, "far") == 0) {
        off = 1ULL << 40;
        count = bs;
    } else if (strcmp(si->cmdline, "read") == 0) {
        is_write = 0;
        off = cap;
        count = bs;
    } else {
        return guest_failure("usage: inside|beyond|straddle|huge|far|read");
    }

    ret = sys_transfer(is_write, fd, (long)si->heap_start, (long)count, (long)off);
    guest_puts(is_write ? "pwrite64" : "pread64");
    guest_puts(" returned ");
    if (ret < 0) {
        guest_puts("-");
        guest_put_dec((uint64_t)-ret);
    } else {
        guest_put_dec((uint64_t)ret);
    }
    guest_puts("\n");
    if (strcmp(si->cmdline, "inside") == 0)
        return ret == (long)bs ? guest_success() : guest_failure("in-bounds pwrite64");
    return guest_failure("out-of-bounds transfer was not killed");
}
