/*
 * tender_seccomp.c: policy tables -> libseccomp filter -> BPF -> installed,
 * plus the hand-built block bounds filter.  See tender_seccomp.h.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tender_seccomp.h"

static int seccomp_add_rules(scmp_filter_ctx ctx,
        const struct tender_seccomp_rule *rules, size_t n,
        const uint64_t values[TENDER_SV_COUNT], struct tender_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct scmp_arg_cmp cmp[TENDER_SECCOMP_MAX_CMP];
        int nr = seccomp_syscall_resolve_name(rules[i].name);
        int rc;

        if (nr == __NR_SCMP_ERROR)
            return tender_err_set(err, "seccomp: unknown system call %s",
                    rules[i].name);
        if (rules[i].n_cmp > TENDER_SECCOMP_MAX_CMP)
            return tender_err_set(err, "seccomp: too many comparisons in a "
                    "rule for %s", rules[i].name);
        for (unsigned j = 0; j < rules[i].n_cmp; j++) {
            const struct tender_seccomp_cmp *c = &rules[i].cmp[j];

            cmp[j] = (struct scmp_arg_cmp){
                .arg = c->arg, .op = (enum scmp_compare)c->op,
                .datum_a = c->value == TENDER_SV_CONST ? c->k
                    : values[c->value],
                .datum_b = 0,
            };
        }
        rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, rules[i].n_cmp,
                cmp);
        if (rc != 0)
            return tender_err_set(err, "seccomp: adding a rule for %s: %s",
                    rules[i].name, strerror(-rc));
    }
    return 0;
}

static int seccomp_add_all(scmp_filter_ctx ctx, const struct tender *t,
        const struct tender_seccomp_policy *p, struct tender_err *err)
{
    uint64_t values[TENDER_SV_COUNT];

    memcpy(values, p->values, sizeof(values));
    if (seccomp_add_rules(ctx, p->core, p->n_core, values, err) != 0)
        return -1;
    for (size_t i = 0; i < p->n_extra; i++)
        if (seccomp_add_rules(ctx, p->extra[i].rules, p->extra[i].n, values,
                    err) != 0)
            return -1;
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        int rc = 0;

        if (!e->attached)
            continue;
        values[TENDER_SV_DEV_FD] = (uint64_t)e->b.hostfd;
        if (e->type == MFT_DEV_NET_BASIC)
            rc = seccomp_add_rules(ctx, p->net, p->n_net, values, err);
        else if (e->type == MFT_DEV_BLOCK_BASIC) {
            values[TENDER_SV_DEV_CAPACITY] = e->u.block_basic.capacity;
            rc = seccomp_add_rules(ctx, p->block, p->n_block, values, err);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Exports the filter through a memfd into prog->filter. */
static int seccomp_export(scmp_filter_ctx ctx, const char *name,
        struct sock_fprog *prog, size_t max_insns, struct tender_err *err)
{
    size_t max = max_insns * sizeof(struct sock_filter);
    ssize_t n;
    off_t size;
    int fd, rc;

    fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return tender_err_set(err, "seccomp: memfd_create: %s",
                strerror(errno));
    rc = seccomp_export_bpf(ctx, fd);
    if (rc != 0) {
        close(fd);
        return tender_err_set(err, "seccomp: exporting the filter: %s",
                strerror(-rc));
    }
    size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || (size_t)size > max ||
            size % (off_t)sizeof(struct sock_filter) != 0) {
        close(fd);
        return tender_err_set(err, "seccomp: the filter for these devices "
                "is too large (%lld instructions, at most %zu)",
                (long long)(size / (off_t)sizeof(struct sock_filter)),
                max_insns);
    }
    n = pread(fd, prog->filter, (size_t)size, 0);
    close(fd);
    if (n != size)
        return tender_err_set(err, "seccomp: reading back the filter failed");
    prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    return 0;
}


/* --- The block bounds filter, emitted by hand (see tender_seccomp.h). --- */

struct bpf_out {
    struct sock_filter *f;
    size_t n, max;
};

static void emit(struct bpf_out *o, uint16_t code, uint8_t jt, uint8_t jf,
        uint32_t k)
{
    if (o->n < o->max)
        o->f[o->n] = (struct sock_filter){ code, jt, jf, k };
    o->n++;
}

/* Offsets of the low and high 32 bits of argument `i` in seccomp_data. */
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) \
            + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4)))
#define ARG_HI(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) \
            + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 4 : 0)))
#define LD(off) emit(o, BPF_LD | BPF_W | BPF_ABS, 0, 0, (off))
#define RET(action) emit(o, BPF_RET | BPF_K, 0, 0, (action))
#define JEQ(k, jt, jf) emit(o, BPF_JMP | BPF_JEQ | BPF_K, (jt), (jf), (k))
#define JGT(k, jt, jf) emit(o, BPF_JMP | BPF_JGT | BPF_K, (jt), (jf), (k))

/* Instructions per chunk size, and per device besides them. */
#define LEVEL_INSNS 10
#define DEVICE_INSNS 5

/*
 * Allows the call if count (arg 2) <= c and offset (arg 3) <= last, as
 * unsigned 64-bit values; otherwise goes on after these LEVEL_INSNS.
 */
static void emit_level(struct bpf_out *o, uint32_t c, uint64_t last)
{
    LD(ARG_HI(2));
    JEQ(0, 0, 8);                       /* count >= 2^32: next */
    LD(ARG_LO(2));
    JGT(c, 6, 0);                       /* count > c: next */
    LD(ARG_HI(3));
    JGT((uint32_t)(last >> 32), 4, 0);  /* offset.hi > last.hi: next */
    JEQ((uint32_t)(last >> 32), 0, 2);  /* offset.hi < last.hi: allow */
    LD(ARG_LO(3));
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

static int seccomp_bounds(const struct tender *t,
        const struct tender_seccomp_policy *p, struct sock_fprog *prog,
        size_t max_insns, struct tender_err *err)
{
    struct bpf_out out = { .f = prog->filter, .max = max_insns }, *o = &out;
    int nr_pread = seccomp_syscall_resolve_name("pread64");
    int nr_pwrite = seccomp_syscall_resolve_name("pwrite64");
    uint32_t chunk[32];

    if (nr_pread < 0 || nr_pwrite < 0)
        return tender_err_set(err, "seccomp: no pread64/pwrite64 here");
    /* chunk[] holds the levels, and a device's instructions must be
     * skippable with BPF's 8-bit jump offsets. */
    if (p->block_levels > sizeof(chunk) / sizeof(chunk[0]) ||
            DEVICE_INSNS + p->block_levels * LEVEL_INSNS - 2 > UINT8_MAX)
        return tender_err_set(err, "seccomp: %u block bound levels are "
                "more than the bounds filter can hold", p->block_levels);
    LD(offsetof(struct seccomp_data, arch));
    JEQ(seccomp_arch_native(), 1, 0);
    RET(SECCOMP_RET_KILL_PROCESS);
    LD(offsetof(struct seccomp_data, nr));
    JEQ((uint32_t)nr_pread, 2, 0);
    JEQ((uint32_t)nr_pwrite, 1, 0);
    RET(SECCOMP_RET_ALLOW);             /* not a block transfer */
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        unsigned n, size;

        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        n = block_levels(p, e, chunk);
        size = DEVICE_INSNS + n * LEVEL_INSNS;
        LD(ARG_LO(0));
        JEQ((uint32_t)e->b.hostfd, 0, (uint8_t)(size - 2));
        LD(ARG_HI(0));
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

int tender_seccomp_build(const struct tender *t,
        const struct tender_seccomp_policy *policy, struct sock_fprog *prog,
        struct sock_fprog *bounds, size_t max_insns, struct tender_err *err)
{
    scmp_filter_ctx ctx;
    int rc;

    ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx == NULL)
        return tender_err_set(err, "seccomp: seccomp_init failed");
    rc = seccomp_add_all(ctx, t, policy, err);
    if (rc == 0)
        rc = seccomp_export(ctx, policy->name, prog, max_insns, err);
    seccomp_release(ctx);
    bounds->len = 0;
    if (rc == 0 && policy->block_levels > 0)
        rc = seccomp_bounds(t, policy, bounds, max_insns, err);
    return rc;
}

int tender_seccomp_install(const struct sock_fprog *prog,
        const struct sock_fprog *bounds, struct tender_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return tender_err_set(err, "prctl(PR_SET_NO_NEW_PRIVS): %s",
                strerror(errno));
    /* The bounds first: once the policy is in place, seccomp() is not
     * allowed any more. */
    if (bounds->len > 0 && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                SECCOMP_FILTER_FLAG_TSYNC, bounds) != 0)
        return tender_err_set(err, "installing the block bounds filter: %s",
                strerror(errno));
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                SECCOMP_FILTER_FLAG_TSYNC, prog) != 0)
        return tender_err_set(err, "installing the seccomp filter: %s",
                strerror(errno));
    return 0;
}
