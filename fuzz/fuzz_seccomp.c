/*
 * fuzz_seccomp.c: the seccomp policy compiler (tender_seccomp_build(),
 * tenders/common/tender_seccomp.c) on random policies.
 *
 * Input: u8 core rules (0 to 8), u8 packing the NET, BLOCK and extra
 * table sizes (0 to 3 each), u8 devices (0 to 6), u8 room (how much room
 * the second build is given, around the filter's size), three values
 * (EPOLLFD, TIMERFD, VCPUFD); per device u8 kind (NET, BLOCK or another
 * type; attached or not), a value for its fd and one for its capacity;
 * then the rules, core, extra, NET, BLOCK: u8 system call (from a small
 * set, so that tables collide), u8 comparisons (0 to 3, rarely 4), per
 * comparison u8 argument, u8 operator, u8 value source and a constant.
 * The rest are probes of u8 system call, u8 arch and six argument values.
 * A value is a small number, an edge of the 32-bit halves, or 8 bytes.
 *
 * Checked:
 * - a malformed policy (a number out of range, too many comparisons, an
 *   argument past 5, an unknown operator, a device value in a table that
 *   may not name it) is refused, and a well-formed one is not;
 * - a build with room for fewer instructions than the filter has fails
 *   with "too large" (ASan watches the room's end), one with room enough
 *   gives the same filter;
 * - the filter is one the kernel would take (bpf_check()), and it never
 *   jumps out of itself (bpf_run());
 * - for many calls, its verdict is a direct reading of the tables: ALLOW
 *   iff the call is of this architecture and, for its number, some rule
 *   (core, extra, or a NET or BLOCK rule with an attached device's values)
 *   has all its comparisons true, as unsigned 64-bit values; otherwise
 *   SECCOMP_RET_KILL_PROCESS.  The calls: each rule's own, with each
 *   compared argument equal to its value, one below, one above, and one
 *   below or above in the high half; the same with another number, an x32
 *   number or another arch; and the probes.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <string.h>

#include "bpf_run.h"
#include "tender_bpf.h"
#include "tender_seccomp.h"
#include "util.h"

#define MAX_CORE 8
#define MAX_TABLE 3
#define MAX_DEVICES 6
#define X32_BIT 0x40000000U

struct fuzz_policy {
    struct tender_seccomp_rule core[MAX_CORE], extra[MAX_TABLE];
    struct tender_seccomp_rule net[MAX_TABLE], block[MAX_TABLE];
    struct tender_seccomp_table extra_table;
    struct tender_seccomp_policy p;
    bool malformed;
};

static struct sock_filter insns[BPF_MAXINSNS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static uint64_t take_value(struct fuzz_in *in)
{
    static const uint64_t edges[] = {
        0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
        0xffffffff00000000, UINT64_MAX,
    };
    uint8_t sel = (uint8_t)fuzz_take(in, 1);

    if (sel < 0x40)
        return sel & 0xf;
    if (sel < 0x80)
        return edges[sel % 8];
    return fuzz_take(in, 8);
}

/* Mostly numbers of a small set; rarely one the compiler must refuse. */
static long take_nr(struct fuzz_in *in, bool *malformed)
{
    static const long nrs[] = { 0, 1, 2, 3, 16, 231, 0x7fffffff, 0xffffffff };
    uint8_t sel = (uint8_t)fuzz_take(in, 1);

    if (sel == 0xff || sel == 0xfe) {
        *malformed = true;
        return sel == 0xff ? -1 : 0x100000000L;
    }
    return nrs[sel % 8];
}

/* A comparison for a table whose values stop before `limit`. */
static void take_cmp(struct fuzz_in *in, struct tender_seccomp_cmp *c,
        enum tender_sv limit, bool *malformed)
{
    uint8_t arg = (uint8_t)fuzz_take(in, 1), op = (uint8_t)fuzz_take(in, 1);
    uint8_t src = (uint8_t)fuzz_take(in, 1);

    c->arg = arg == 0xff ? 6 : arg % 6;
    c->op = op == 0xff ? (enum tender_seccomp_op)2 :
        op & 1 ? TENDER_CMP_LT : TENDER_CMP_EQ;
    c->value = src == 0xff ? limit : (enum tender_sv)(src % limit);
    c->k = take_value(in);
    if (arg == 0xff || op == 0xff || src == 0xff)
        *malformed = true;
}

static void take_rules(struct fuzz_in *in, struct tender_seccomp_rule *r,
        size_t n, enum tender_sv limit, bool *malformed)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t n_cmp;

        memset(&r[i], 0, sizeof(r[i]));
        r[i].nr = take_nr(in, malformed);
        n_cmp = (uint8_t)fuzz_take(in, 1);
        r[i].n_cmp = n_cmp == 0xff ? TENDER_SECCOMP_MAX_CMP + 1 : n_cmp % 4;
        if (r[i].n_cmp > TENDER_SECCOMP_MAX_CMP) {
            *malformed = true;
            continue;
        }
        for (unsigned j = 0; j < r[i].n_cmp; j++)
            take_cmp(in, &r[i].cmp[j], limit, malformed);
    }
}

/* Device i (1 based): NET, BLOCK or another type, maybe not attached. */
static void take_device(struct fuzz_in *in, struct mft_entry *e)
{
    static const enum mft_type types[] = {
        MFT_DEV_NET_BASIC, MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC,
        MFT_RESERVED_FIRST,
    };
    uint8_t kind = (uint8_t)fuzz_take(in, 1);

    e->type = types[kind % 4];
    e->attached = (kind & 4) == 0;
    e->b.hostfd = (int)(take_value(in) & 0x7fffffff);
    e->u.block_basic.capacity = take_value(in);
}

static struct mft *take_policy(struct fuzz_in *in, struct fuzz_policy *fp,
        unsigned *room)
{
    size_t n_core = fuzz_take(in, 1) % (MAX_CORE + 1);
    uint8_t sizes = (uint8_t)fuzz_take(in, 1);
    unsigned n_dev = (unsigned)fuzz_take(in, 1) % (MAX_DEVICES + 1);
    struct mft *mft;

    *room = (unsigned)fuzz_take(in, 1);
    fp->p = (struct tender_seccomp_policy){
        .core = fp->core, .n_core = n_core,
        .net = fp->net, .n_net = sizes % 4,
        .block = fp->block, .n_block = (sizes >> 2) % 4,
        .extra = &fp->extra_table, .n_extra = 1,
    };
    fp->extra_table = (struct tender_seccomp_table){ fp->extra,
        (sizes >> 4) % 4 };
    for (unsigned v = TENDER_SV_EPOLLFD; v <= TENDER_SV_VCPUFD; v++)
        fp->p.values[v] = take_value(in);
    /* Not to be used by any rule: the compiler must refuse those. */
    fp->p.values[TENDER_SV_DEV_FD] = 0xdead;
    fp->p.values[TENDER_SV_DEV_CAPACITY] = 0xbeef;
    mft = calloc(1, sizeof(*mft) + (n_dev + 1) * sizeof(struct mft_entry));
    FUZZ_CHECK(mft != NULL);
    mft->version = MFT_VERSION;
    mft->entries = n_dev + 1;
    mft->e[0].type = MFT_RESERVED_FIRST;
    for (unsigned i = 1; i <= n_dev; i++)
        take_device(in, &mft->e[i]);
    fp->malformed = false;
    take_rules(in, fp->core, fp->p.n_core, TENDER_SV_DEV_FD, &fp->malformed);
    take_rules(in, fp->extra, fp->extra_table.n, TENDER_SV_DEV_FD,
            &fp->malformed);
    take_rules(in, fp->net, fp->p.n_net, TENDER_SV_DEV_CAPACITY,
            &fp->malformed);
    take_rules(in, fp->block, fp->p.n_block, TENDER_SV_COUNT, &fp->malformed);
    return mft;
}

/* --- The direct reading of the rules. --- */

static bool rule_holds(const struct tender_seccomp_rule *r,
        const uint64_t values[TENDER_SV_COUNT], const struct seccomp_data *d)
{
    /* The filter sees the number as 32 bits (seccomp_data.nr is an int). */
    if ((uint32_t)d->nr != (uint32_t)r->nr)
        return false;
    for (unsigned j = 0; j < r->n_cmp; j++) {
        const struct tender_seccomp_cmp *c = &r->cmp[j];
        uint64_t v = c->value == TENDER_SV_CONST ? c->k : values[c->value];
        uint64_t a = d->args[c->arg];

        if (c->op == TENDER_CMP_EQ ? a != v : a >= v)
            return false;
    }
    return true;
}

static bool any_holds(const struct tender_seccomp_rule *r, size_t n,
        const uint64_t values[TENDER_SV_COUNT], const struct seccomp_data *d)
{
    for (size_t i = 0; i < n; i++)
        if (rule_holds(&r[i], values, d))
            return true;
    return false;
}

/* A device's values: the tender's, with its fd and capacity. */
static void device_values(const struct fuzz_policy *fp,
        const struct mft_entry *e, uint64_t values[TENDER_SV_COUNT])
{
    memcpy(values, fp->p.values, sizeof(fp->p.values));
    values[TENDER_SV_DEV_FD] = (uint64_t)e->b.hostfd;
    values[TENDER_SV_DEV_CAPACITY] = e->u.block_basic.capacity;
}

static bool reading_allows(const struct fuzz_policy *fp,
        const struct mft *mft, const struct seccomp_data *d)
{
    uint64_t values[TENDER_SV_COUNT];

    if (d->arch != tender_seccomp_audit_arch)
        return false;
    if (any_holds(fp->core, fp->p.n_core, fp->p.values, d) ||
            any_holds(fp->extra, fp->extra_table.n, fp->p.values, d))
        return true;
    for (unsigned i = 1; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];

        if (!e->attached)
            continue;
        device_values(fp, e, values);
        if ((e->type == MFT_DEV_NET_BASIC &&
                    any_holds(fp->net, fp->p.n_net, values, d)) ||
                (e->type == MFT_DEV_BLOCK_BASIC &&
                 any_holds(fp->block, fp->p.n_block, values, d)))
            return true;
    }
    return false;
}

static void check(const struct fuzz_policy *fp, const struct mft *mft,
        const struct sock_fprog *prog, const struct seccomp_data *d)
{
    uint32_t want = reading_allows(fp, mft, d) ? SECCOMP_RET_ALLOW :
        SECCOMP_RET_KILL_PROCESS;

    FUZZ_CHECK(bpf_run(prog, d) == want);
}

/* --- Calls around each rule's values. --- */

/* The rule's call with every argument it compares made to hold (as far as
 * its comparisons agree), then the call again with other numbers and
 * another arch. */
static void check_variants(const struct fuzz_policy *fp,
        const struct mft *mft, const struct sock_fprog *prog,
        struct seccomp_data d)
{
    uint32_t nr = (uint32_t)d.nr;

    check(fp, mft, prog, &d);
    d.nr = (int)(nr ^ X32_BIT);
    check(fp, mft, prog, &d);
    d.nr = (int)(nr + 1);
    check(fp, mft, prog, &d);
    d.nr = (int)nr;
    d.arch = AUDIT_ARCH_I386;
    check(fp, mft, prog, &d);
}

static void probe_rule(const struct fuzz_policy *fp, const struct mft *mft,
        const struct sock_fprog *prog, const struct tender_seccomp_rule *r,
        const uint64_t values[TENDER_SV_COUNT])
{
    static const uint64_t deltas[] = {
        0, 1, UINT64_MAX, 1ULL << 32, (uint64_t)-(1LL << 32),
    };
    struct seccomp_data base = { .nr = (int)r->nr,
        .arch = tender_seccomp_audit_arch };
    uint64_t v[TENDER_SECCOMP_MAX_CMP];

    for (unsigned j = 0; j < r->n_cmp; j++) {
        const struct tender_seccomp_cmp *c = &r->cmp[j];

        v[j] = c->value == TENDER_SV_CONST ? c->k : values[c->value];
        base.args[c->arg] = c->op == TENDER_CMP_EQ || v[j] == 0 ? v[j] :
            v[j] - 1;
    }
    check_variants(fp, mft, prog, base);
    for (unsigned j = 0; j < r->n_cmp; j++) {
        for (size_t k = 0; k < sizeof(deltas) / sizeof(deltas[0]); k++) {
            struct seccomp_data d = base;

            d.args[r->cmp[j].arg] = v[j] + deltas[k];
            check_variants(fp, mft, prog, d);
        }
    }
}

static void probe_rules(const struct fuzz_policy *fp, const struct mft *mft,
        const struct sock_fprog *prog)
{
    uint64_t values[TENDER_SV_COUNT];

    for (size_t i = 0; i < fp->p.n_core; i++)
        probe_rule(fp, mft, prog, &fp->core[i], fp->p.values);
    for (size_t i = 0; i < fp->extra_table.n; i++)
        probe_rule(fp, mft, prog, &fp->extra[i], fp->p.values);
    for (unsigned i = 1; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];

        device_values(fp, e, values);
        for (size_t j = 0; j < fp->p.n_net; j++)
            probe_rule(fp, mft, prog, &fp->net[j], values);
        for (size_t j = 0; j < fp->p.n_block; j++)
            probe_rule(fp, mft, prog, &fp->block[j], values);
    }
}

/* The probes at the input's end. */
static void probe_input(const struct fuzz_policy *fp, const struct mft *mft,
        const struct sock_fprog *prog, struct fuzz_in *in)
{
    static const uint32_t arches[] = {
        AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, AUDIT_ARCH_X86_64, 0,
    };
    bool ignored;

    while (in->pos < in->size) {
        uint32_t nr = (uint32_t)take_nr(in, &ignored);
        uint8_t arch = (uint8_t)fuzz_take(in, 1);
        struct seccomp_data d = { .nr = (int)(arch & 0x80 ? nr | X32_BIT : nr),
            .arch = arch & 0x40 ? arches[arch % 4] :
                tender_seccomp_audit_arch };

        for (unsigned a = 0; a < 6; a++)
            d.args[a] = take_value(in);
        check(fp, mft, prog, &d);
    }
}

/* --- Building. --- */

/* Builds again with `room` instructions of room (a heap buffer of exactly
 * that size): fails iff the filter is larger, else gives the same one. */
static void check_room(const struct tender *t, const struct fuzz_policy *fp,
        const struct sock_fprog *prog, unsigned room)
{
    struct sock_fprog small = { 0 }, bounds = { 0 };
    struct tender_err err;
    int rc;

    if (room == 0)
        return;
    small.filter = malloc(room * sizeof(struct sock_filter));
    FUZZ_CHECK(small.filter != NULL);
    rc = tender_seccomp_build(t, &fp->p, &small, &bounds, room, &err);
    if (prog->len > room) {
        FUZZ_CHECK(rc == -1 && strstr(err.msg, "too large") != NULL);
    } else {
        FUZZ_CHECK(rc == 0 && small.len == prog->len);
        FUZZ_CHECK(memcmp(small.filter, prog->filter,
                    prog->len * sizeof(struct sock_filter)) == 0);
    }
    free(small.filter);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size, 0 };
    struct fuzz_policy fp;
    struct tender t = { .kernel_fd = -1 };
    struct sock_fprog prog = { .filter = insns }, bounds = { .len = 1 };
    struct tender_err err;
    unsigned room;
    int rc;

    t.mft = take_policy(&in, &fp, &room);
    rc = tender_seccomp_build(&t, &fp.p, &prog, &bounds, BPF_MAXINSNS, &err);
    if (fp.malformed) {
        FUZZ_CHECK(rc == -1 && strncmp(err.msg, "seccomp: ", 9) == 0);
        free(t.mft);
        return 0;
    }
    FUZZ_CHECK(rc == 0 && bounds.len == 0);
    bpf_check(&prog);
    /* Room around the filter's size, where the "too large" check bites. */
    check_room(&t, &fp, &prog, room < 0xf0 ? prog.len + room % 5 - 2 :
            room - 0xf0);
    probe_rules(&fp, t.mft, &prog);
    probe_input(&fp, t.mft, &prog, &in);
    free(t.mft);
    return 0;
}
