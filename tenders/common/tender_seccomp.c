/*
 * tender_seccomp.c: policy tables -> classic BPF -> installed.  See
 * tender_seccomp.h.
 *
 * The filter: the ABI check; then, per system call that has rules, "if
 * nr == N, try N's rules in table order, and kill if none holds"; kill
 * any other call.  A rule holds when all its comparisons do; each compares
 * the full 64-bit argument.  The calls are found by a binary search on
 * their numbers (jge), down to runs of at most LEAF_CALLS calls tried in
 * turn:
 *
 *     ld arch; jeq ARCH, +1; ret KILL; ld nr
 *     jge N3, +0, +1; ja <the right half>
 *       jeq N1, +1, +0; ja <past N1's block>
 *          rule: ld arg.hi; jeq hi, +0, <next rule>; ld arg.lo; jeq lo, ...
 *                ret ALLOW
 *          ... ret KILL
 *       jeq N2, ...
 *       ret KILL
 *     (the right half: N3 and up, the same way)
 *
 * Why a search: the kernel runs the whole filter once per system call
 * number when it is installed (its cache of calls always allowed), and
 * every call of the tender's runs it; with its calls tried in turn,
 * solo5-hvt's filter took ~20 us longer to install (docs/performance.md,
 * Round 6).
 *
 * A comparison is 4 instructions (EQ: both halves equal) or 5 (LT: high
 * half below, or equal and low half below), so a rule is at most
 * TENDER_SECCOMP_MAX_CMP * 5 + 1 instructions and its failure jumps fit
 * the 8-bit offsets of a conditional jump; the jump past a block is a
 * BPF_JA, which has 32 bits.  A filter is at most BPF_MAXINSNS long,
 * whatever room the caller has: the kernel takes no more, and its length
 * is 16 bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tender_bpf.h"
#include "tender_seccomp.h"

/* A rule with its values resolved for one device (or none). */
struct resolved_rule {
    uint32_t nr;
    unsigned n_cmp;
    struct {
        unsigned arg;
        enum tender_seccomp_op op;
        uint64_t v;
    } cmp[TENDER_SECCOMP_MAX_CMP];
    size_t order;               /* position in the policy, to sort stably */
};

struct rule_list {
    struct resolved_rule *r;
    size_t n, max;
};

/*
 * Refuses a malformed table.  Values from `limit` on (enum tender_sv lists
 * the device values last) are not defined for the table: a tender-wide
 * rule naming DEV_FD, or a NET rule naming DEV_CAPACITY, would compare
 * with whatever was left in values[].  Every table is checked, also one
 * that no attached device uses: a broken policy fails on every manifest.
 */
static int check_rules(const struct tender_seccomp_rule *rules, size_t n,
        enum tender_sv limit, struct tender_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (rules[i].n_cmp > TENDER_SECCOMP_MAX_CMP || rules[i].nr < 0 ||
                (unsigned long)rules[i].nr > UINT32_MAX)
            return tender_err_set(err, "seccomp: a rule for system call %ld "
                    "is malformed", rules[i].nr);
        for (unsigned j = 0; j < rules[i].n_cmp; j++) {
            const struct tender_seccomp_cmp *c = &rules[i].cmp[j];

            if (c->arg > 5 || (c->op != TENDER_CMP_EQ &&
                        c->op != TENDER_CMP_LT) || c->value >= limit)
                return tender_err_set(err, "seccomp: a comparison for "
                        "system call %ld is malformed", rules[i].nr);
        }
    }
    return 0;
}

static int check_policy(const struct tender_seccomp_policy *p,
        struct tender_err *err)
{
    if (check_rules(p->core, p->n_core, TENDER_SV_DEV_FD, err) != 0 ||
            check_rules(p->net, p->n_net, TENDER_SV_DEV_CAPACITY, err) != 0 ||
            check_rules(p->block, p->n_block, TENDER_SV_COUNT, err) != 0)
        return -1;
    for (size_t i = 0; i < p->n_extra; i++)
        if (check_rules(p->extra[i].rules, p->extra[i].n, TENDER_SV_DEV_FD,
                    err) != 0)
            return -1;
    return 0;
}

/* Resolves rules[0..n) (checked) into l, with `values`. */
static int add_rules(struct rule_list *l,
        const struct tender_seccomp_rule *rules, size_t n,
        const uint64_t values[TENDER_SV_COUNT], struct tender_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct resolved_rule *r;

        /* count_rules() made the room: a mismatch is a bug here. */
        if (l->n == l->max)
            return tender_err_set(err, "seccomp: more than %zu rules",
                    l->max);
        r = &l->r[l->n];
        *r = (struct resolved_rule){ .nr = (uint32_t)rules[i].nr,
            .n_cmp = rules[i].n_cmp, .order = l->n };
        for (unsigned j = 0; j < r->n_cmp; j++) {
            const struct tender_seccomp_cmp *c = &rules[i].cmp[j];

            r->cmp[j].arg = c->arg;
            r->cmp[j].op = c->op;
            r->cmp[j].v = c->value == TENDER_SV_CONST ? c->k
                : values[c->value];
        }
        l->n++;
    }
    return 0;
}

/* How many rules the policy makes for these devices. */
static size_t count_rules(const struct tender *t,
        const struct tender_seccomp_policy *p)
{
    size_t n = p->n_core;

    for (size_t i = 0; i < p->n_extra; i++)
        n += p->extra[i].n;
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];

        if (e->attached && e->type == MFT_DEV_NET_BASIC)
            n += p->n_net;
        else if (e->attached && e->type == MFT_DEV_BLOCK_BASIC)
            n += p->n_block;
    }
    return n;
}

static int add_all(struct rule_list *l, const struct tender *t,
        const struct tender_seccomp_policy *p, struct tender_err *err)
{
    uint64_t values[TENDER_SV_COUNT];

    memcpy(values, p->values, sizeof(values));
    if (add_rules(l, p->core, p->n_core, values, err) != 0)
        return -1;
    for (size_t i = 0; i < p->n_extra; i++)
        if (add_rules(l, p->extra[i].rules, p->extra[i].n, values, err) != 0)
            return -1;
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        int rc = 0;

        if (!e->attached)
            continue;
        values[TENDER_SV_DEV_FD] = (uint64_t)e->b.hostfd;
        if (e->type == MFT_DEV_NET_BASIC)
            rc = add_rules(l, p->net, p->n_net, values, err);
        else if (e->type == MFT_DEV_BLOCK_BASIC) {
            values[TENDER_SV_DEV_CAPACITY] = e->u.block_basic.capacity;
            rc = add_rules(l, p->block, p->n_block, values, err);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int by_nr_then_order(const void *a, const void *b)
{
    const struct resolved_rule *x = a, *y = b;

    if (x->nr != y->nr)
        return x->nr < y->nr ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* --- Emitting. --- */

#define EQ_INSNS 4
#define LT_INSNS 5

_Static_assert(TENDER_SECCOMP_MAX_CMP * LT_INSNS + 1 <= UINT8_MAX,
        "a rule's failure jumps must fit in 8 bits");

static unsigned rule_insns(const struct resolved_rule *r)
{
    unsigned n = 1;                             /* ret ALLOW */

    for (unsigned j = 0; j < r->n_cmp; j++)
        n += r->cmp[j].op == TENDER_CMP_EQ ? EQ_INSNS : LT_INSNS;
    return n;
}

/* One comparison at position `at` of a rule of `len` instructions: on
 * failure, jump to the rule's end (the next rule, or the block's kill). */
static void emit_cmp(struct bpf_out *o, unsigned arg, enum tender_seccomp_op op,
        uint64_t v, unsigned at, unsigned len)
{
    uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;

    LD(BPF_ARG_HI(arg));
    if (op == TENDER_CMP_EQ) {
        JEQ(hi, 0, (uint8_t)(len - (at + 2)));
        LD(BPF_ARG_LO(arg));
        JEQ(lo, 0, (uint8_t)(len - (at + 4)));
        return;
    }
    JGT(hi, (uint8_t)(len - (at + 2)), 0);      /* above in the high half */
    JEQ(hi, 0, 2);                              /* below: holds */
    LD(BPF_ARG_LO(arg));
    JGE(lo, (uint8_t)(len - (at + 5)), 0);
}

static void emit_rule(struct bpf_out *o, const struct resolved_rule *r)
{
    unsigned len = rule_insns(r), at = 0;

    for (unsigned j = 0; j < r->n_cmp; j++) {
        emit_cmp(o, r->cmp[j].arg, r->cmp[j].op, r->cmp[j].v, at, len);
        at += r->cmp[j].op == TENDER_CMP_EQ ? EQ_INSNS : LT_INSNS;
    }
    RET(SECCOMP_RET_ALLOW);
}

/* The block of rules r[0..n) (one system call); A holds the call's nr. */
static void emit_block(struct bpf_out *o, const struct resolved_rule *r,
        size_t n)
{
    uint32_t len = 1;                           /* ret KILL */

    for (size_t i = 0; i < n; i++)
        len += rule_insns(&r[i]);
    JEQ(r[0].nr, 1, 0);
    JA(len);
    for (size_t i = 0; i < n; i++)
        emit_rule(o, &r[i]);
    RET(SECCOMP_RET_KILL_PROCESS);
}

/* The rules of one system call: l->r[first .. first + n). */
struct call {
    size_t first, n;
    uint32_t insns;             /* its block, jeq and ja included */
};

/* The longest run of calls tried in turn at the bottom of the search. */
#define LEAF_CALLS 3

static uint32_t search_insns(const struct call *c, size_t n)
{
    uint32_t insns = 1;                         /* ret KILL */

    if (n > LEAF_CALLS)
        return 2 + search_insns(c, n / 2) + search_insns(c + n / 2,
                n - n / 2);
    for (size_t i = 0; i < n; i++)
        insns += c[i].insns;
    return insns;
}

/* The calls c[0..n) (increasing numbers); A holds the call's nr. */
static void emit_search(struct bpf_out *o, const struct rule_list *l,
        const struct call *c, size_t n)
{
    if (n > LEAF_CALLS) {
        const struct call *right = c + n / 2;

        JGE(l->r[right->first].nr, 0, 1);
        JA(search_insns(c, n / 2));
        emit_search(o, l, c, n / 2);
        emit_search(o, l, right, n - n / 2);
        return;
    }
    for (size_t i = 0; i < n; i++)
        emit_block(o, &l->r[c[i].first], c[i].n);
    RET(SECCOMP_RET_KILL_PROCESS);
}

/* Groups the sorted rules by system call into calls[] (room: l->n). */
static size_t group_calls(const struct rule_list *l, struct call *calls)
{
    size_t n = 0;

    for (size_t i = 0, j; i < l->n; i = j) {
        uint32_t insns = 3;                     /* jeq, ja, ret KILL */

        for (j = i; j < l->n && l->r[j].nr == l->r[i].nr; j++)
            insns += rule_insns(&l->r[j]);
        calls[n++] = (struct call){ .first = i, .n = j - i, .insns = insns };
    }
    return n;
}

static void emit_filter(struct bpf_out *o, const struct rule_list *l,
        struct call *calls)
{
    bpf_check_arch(o);
    LD(offsetof(struct seccomp_data, nr));
    emit_search(o, l, calls, group_calls(l, calls));
}

static int compile(const struct tender *t,
        const struct tender_seccomp_policy *policy, struct sock_fprog *prog,
        size_t max_insns, struct tender_err *err)
{
    struct rule_list l = { .max = count_rules(t, policy) };
    struct bpf_out out = { .f = prog->filter, .max = max_insns };
    struct call *calls;

    if (check_policy(policy, err) != 0)
        return -1;
    /* At least one element: calloc(0) may give NULL. */
    l.r = calloc(l.max > 0 ? l.max : 1, sizeof(*l.r));
    calls = calloc(l.max > 0 ? l.max : 1, sizeof(*calls));
    if (l.r == NULL || calls == NULL) {
        free(l.r);
        free(calls);
        return tender_err_set(err, "seccomp: out of memory");
    }
    if (add_all(&l, t, policy, err) != 0) {
        free(l.r);
        free(calls);
        return -1;
    }
    qsort(l.r, l.n, sizeof(*l.r), by_nr_then_order);
    emit_filter(&out, &l, calls);
    free(l.r);
    free(calls);
    if (out.n > max_insns)
        return tender_err_set(err, "seccomp: the filter for these devices "
                "is too large (%zu instructions, at most %zu)", out.n,
                max_insns);
    prog->len = (unsigned short)out.n;
    return 0;
}

int tender_seccomp_build(const struct tender *t,
        const struct tender_seccomp_policy *policy, struct sock_fprog *prog,
        struct sock_fprog *bounds, size_t max_insns, struct tender_err *err)
{
    if (max_insns > BPF_MAXINSNS)
        max_insns = BPF_MAXINSNS;
    bounds->len = 0;
    if (compile(t, policy, prog, max_insns, err) != 0)
        return -1;
    if (policy->block_levels > 0)
        return tender_seccomp_bounds(t, policy, bounds, max_insns, err);
    return 0;
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
