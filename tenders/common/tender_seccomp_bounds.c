/*
 * tender_seccomp_bounds.c: the filter that bounds every pread64/pwrite64
 * to its block device (tender_seccomp.h), emitted by hand.
 */
#include <stddef.h>
#include <sys/syscall.h>

#include "tender_bpf.h"
#include "tender_seccomp.h"

/* Instructions per chunk size, and per device besides them. */
#define LEVEL_INSNS 10
#define DEVICE_INSNS 5

/*
 * Allows the call if count (arg 2) <= c and offset (arg 3) <= last, as
 * unsigned 64-bit values; otherwise goes on after these LEVEL_INSNS.
 */
static void emit_level(struct bpf_out *o, uint32_t c, uint64_t last)
{
    LD(BPF_ARG_HI(2));
    JEQ(0, 0, 8);                       /* count >= 2^32: next */
    LD(BPF_ARG_LO(2));
    JGT(c, 6, 0);                       /* count > c: next */
    LD(BPF_ARG_HI(3));
    JGT((uint32_t)(last >> 32), 4, 0);  /* offset.hi > last.hi: next */
    JEQ((uint32_t)(last >> 32), 0, 2);  /* offset.hi < last.hi: allow */
    LD(BPF_ARG_LO(3));
    JGT((uint32_t)last, 1, 0);          /* offset.lo > last.lo: next */
    RET(SECCOMP_RET_ALLOW);
}

static unsigned block_levels(const struct tender_seccomp_policy *p,
        const struct mft_entry *e, uint32_t chunk[])
{
    uint64_t bs = e->u.block_basic.block_size;
    unsigned n = 0;

    for (unsigned k = 0; k < p->block_levels; k++) {
        unsigned shift = p->block_level_shift * k;

        if (shift >= 32 || (bs << shift) > e->u.block_basic.capacity ||
                (bs << shift) > UINT32_MAX)
            break;
        chunk[n++] = (uint32_t)(bs << shift);
    }
    return n;
}

int tender_seccomp_bounds(const struct tender *t,
        const struct tender_seccomp_policy *p, struct sock_fprog *prog,
        size_t max_insns, struct tender_err *err)
{
    struct bpf_out out = { .f = prog->filter, .max = max_insns }, *o = &out;
    uint32_t chunk[32];

    /* chunk[] holds the levels, and a device's instructions must be
     * skippable with BPF's 8-bit jump offsets. */
    if (p->block_levels > sizeof(chunk) / sizeof(chunk[0]) ||
            DEVICE_INSNS + p->block_levels * LEVEL_INSNS - 2 > UINT8_MAX)
        return tender_err_set(err, "seccomp: %u block bound levels are "
                "more than the bounds filter can hold", p->block_levels);
    bpf_check_arch(o);
    LD(offsetof(struct seccomp_data, nr));
    JEQ(__NR_pread64, 2, 0);
    JEQ(__NR_pwrite64, 1, 0);
    RET(SECCOMP_RET_ALLOW);             /* not a block transfer */
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        unsigned n, size;

        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        n = block_levels(p, e, chunk);
        size = DEVICE_INSNS + n * LEVEL_INSNS;
        LD(BPF_ARG_LO(0));
        JEQ((uint32_t)e->b.hostfd, 0, (uint8_t)(size - 2));
        LD(BPF_ARG_HI(0));
        JEQ(0, 0, (uint8_t)(size - 4));
        for (unsigned k = 0; k < n; k++)
            emit_level(o, chunk[k], e->u.block_basic.capacity - chunk[k]);
        RET(SECCOMP_RET_KILL_PROCESS);  /* its fd, but out of bounds */
    }
    RET(SECCOMP_RET_KILL_PROCESS);      /* no block device's fd */
    if (out.n > max_insns)
        return tender_err_set(err, "seccomp: the block bounds filter for "
                "these devices is too large (%zu instructions, at most %zu)",
                out.n, max_insns);
    prog->len = (unsigned short)out.n;
    return 0;
}
