/*
 * fuzz_block.c: the block request checks.  hvt checks each request itself
 * (tender_block_request_ok(), for hypercalls and the I/O rings); spt
 * guests call pread64/pwrite64 directly and the seccomp filters solo5-spt
 * builds for the attached devices bound them (spt_seccomp_build(): the
 * policy table plus the hand-built bounds filter).
 *
 * Input: u8 n (1 to 4 block devices, plus one NET device), per device u8
 * size (block size 512 << (size % 7)) and u32 blocks (capacity is
 * (blocks + 1) whole blocks), then requests of 18 bytes: u8 device (which
 * fd; beyond the devices: the NET fd or a stray one), u8 call (pread64,
 * pwrite64, or read), u64 count, u64 offset.
 *
 * Checked, against exact arithmetic: tender_block_request_ok() accepts
 * exactly whole aligned blocks inside the device; and the filters, run by
 * an interpreter (bpf_run.c), let a pread64/pwrite64 through exactly when
 * it names a block device's fd and, for one of the chunk sizes c the
 * bounds filter uses (block size << 4k, k < 4, c <= capacity), count <= c
 * and offset <= capacity - c; so never one that would end past the
 * device.  Both filters are ones the kernel would take (bpf_check()).
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "bpf_run.h"
#include "spt.h"
#include "spt_abi.h"
#include "tender_modules.h"
#include "util.h"

#define MAX_DEVICES 4
#define NET_FD 40
#define STRAY_FD 41
#define REQUESTS 32

static struct sock_filter insns[BPF_MAXINSNS], bounds_insns[BPF_MAXINSNS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* Devices 1..n BLOCK (fds 30 + i), device n + 1 NET. */
static struct mft *make_devices(struct fuzz_in *in, unsigned *n)
{
    struct mft *mft;

    *n = (unsigned)fuzz_take(in, 1) % MAX_DEVICES + 1;
    mft = calloc(1, sizeof(*mft) + (*n + 2) * sizeof(struct mft_entry));
    FUZZ_CHECK(mft != NULL);
    mft->version = MFT_VERSION;
    mft->entries = *n + 2;
    mft->e[0].type = MFT_RESERVED_FIRST;
    for (unsigned i = 1; i <= *n; i++) {
        struct mft_entry *e = &mft->e[i];
        uint64_t bs = 512U << (fuzz_take(in, 1) % 7);

        snprintf(e->name, sizeof(e->name), "disk%u", i);
        e->type = MFT_DEV_BLOCK_BASIC;
        e->attached = true;
        e->b.hostfd = 30 + (int)i;
        e->u.block_basic.block_size = (uint16_t)bs;
        e->u.block_basic.capacity = (fuzz_take(in, 4) + 1) * bs;
    }
    strcpy(mft->e[*n + 1].name, "net");
    mft->e[*n + 1].type = MFT_DEV_NET_BASIC;
    mft->e[*n + 1].attached = true;
    mft->e[*n + 1].b.hostfd = NET_FD;
    return mft;
}

static bool exact_ok(const struct mft_entry *e, uint64_t off, uint64_t len)
{
    uint64_t bs = e->u.block_basic.block_size;

    return len != 0 && len % bs == 0 && off % bs == 0 &&
        (unsigned __int128)off + len <= e->u.block_basic.capacity &&
        len <= (uint64_t)INT64_MAX;
}

/* What the filters should decide for a pread64/pwrite64 on device e. */
static bool chunk_ok(const struct mft_entry *e, uint64_t count, uint64_t off)
{
    uint64_t cap = e->u.block_basic.capacity;

    for (unsigned k = 0; k < SPT_BLOCK_LEVELS; k++) {
        uint64_t c = (uint64_t)e->u.block_basic.block_size <<
            (SPT_BLOCK_LEVEL_SHIFT * k);

        if (c > cap || c > UINT32_MAX)
            break;
        if (count <= c && off <= cap - c)
            return true;
    }
    return false;
}

static bool filters_allow(const struct sock_fprog *prog,
        const struct sock_fprog *bounds, const struct seccomp_data *d)
{
    return (bpf_run(prog, d) & SECCOMP_RET_ACTION_FULL) ==
        SECCOMP_RET_ALLOW && (bpf_run(bounds, d) &
                SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
}

static void request(const struct mft *mft, unsigned n,
        const struct sock_fprog *prog, const struct sock_fprog *bounds,
        struct fuzz_in *in)
{
    static const int calls[] = { SYS_pread64, SYS_pwrite64, SYS_read };
    unsigned dev = (unsigned)fuzz_take(in, 1) % (n + 2) + 1;
    int call = calls[fuzz_take(in, 1) % 3];
    uint64_t count = fuzz_take(in, 8), off = fuzz_take(in, 8);
    const struct mft_entry *e = dev <= n ? &mft->e[dev] : NULL;
    struct seccomp_data d = {
        .nr = call, .arch = AUDIT_ARCH_X86_64,
        .args = { e != NULL ? (uint64_t)e->b.hostfd :
            dev == n + 1 ? NET_FD : STRAY_FD, 0, count, off },
    };
    bool allowed = filters_allow(prog, bounds, &d);

    if (e != NULL) {
        bool ok = tender_block_request_ok(e, off, count);

        FUZZ_CHECK(ok == exact_ok(e, off, count));
    }
    if (call == SYS_read) {
        FUZZ_CHECK(allowed == (dev == n + 1));
        return;
    }
    FUZZ_CHECK(allowed == (e != NULL && chunk_ok(e, count, off)));
    if (allowed)
        FUZZ_CHECK((unsigned __int128)off + count <=
                e->u.block_basic.capacity);
}

/* The filters of the last device set: most inputs libFuzzer tries differ
 * from the previous one in their requests only, and building the filters
 * (an allocation, a sort, both filters emitted) costs more than running
 * them for a few requests. */
static struct {
    uint8_t key[1 + MAX_DEVICES * 5];
    size_t key_len;
    struct sock_fprog prog, bounds;
} cache = {
    .prog = { .filter = insns }, .bounds = { .filter = bounds_insns },
};

static void build_filters(struct tender *t, const uint8_t *key, size_t len)
{
    struct tender_err err;

    if (cache.key_len == len && memcmp(cache.key, key, len) == 0)
        return;
    cache.key_len = 0;
    FUZZ_CHECK(spt_seccomp_build(t, &cache.prog, &cache.bounds,
                BPF_MAXINSNS, &err) == 0);
    bpf_check(&cache.prog);
    bpf_check(&cache.bounds);
    memcpy(cache.key, key, len);
    cache.key_len = len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size, 0 };
    struct spt spt = { .epollfd = 20, .timerfd = 21 };
    struct tender t = { .kernel_fd = -1, .priv = &spt };
    unsigned n;

    t.mft = make_devices(&in, &n);
    build_filters(&t, data, in.pos < size ? in.pos : size);
    for (unsigned i = 0; i < REQUESTS && in.pos < in.size; i++)
        request(t.mft, n, &cache.prog, &cache.bounds, &in);
    free(t.mft);
    return 0;
}
