/*
 * tender_seccomp.h: building a seccomp filter from a policy table.
 *
 * Each tender writes its policy once, as tables of rules ("allow system
 * call NR when these argument comparisons hold"), where a comparison's
 * value is a constant, one of the tender's own fds, or a property of the
 * device the rule is being added for.  This module compiles the tables
 * straight into classic BPF (core rules once, net rules once per attached
 * NET device, block rules once per attached BLOCK device; the compiler is
 * tender_seccomp.c, its instructions tender_bpf.h) and installs it.
 * Default action: kill the process (SIGSYS, status 159), also for a call
 * of another architecture's ABI (i386 or x32 on x86_64).
 *
 * (Until 2026-12 the tables went through libseccomp: building the
 * filters with it, with their JIT, took ~150-200 us of a solo5-hvt start
 * under ftrace; docs/performance.md, Round 5.  The compiler here emits
 * what the tables say and nothing else, and fuzz/fuzz_seccomp.c checks it
 * against a direct reading of the rules; docs/security.md describes the
 * filter.)
 *
 * Optionally (block_levels > 0) a second, hand-built filter bounds every
 * pread64/pwrite64 to its device (tender_seccomp_bounds.c): allowed only
 * if, for the device whose fd it names, "count <= c and offset <= capacity
 * - c" for one of the chunk sizes c = block_size << (block_level_shift *
 * k), k < block_levels, c <= capacity.  Seccomp cannot add two arguments,
 * hence the chunk sizes.  It is a filter of its own so that the policy
 * tables stay a plain list of rules; the kernel applies both filters, and
 * a call must pass both.
 */
#ifndef TENDER_SECCOMP_H
#define TENDER_SECCOMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "tender.h"

/* Where a comparison's value comes from.  The device values come last, and
 * only a device's table may name them: DEV_FD the NET and BLOCK tables,
 * DEV_CAPACITY the BLOCK table (tender_seccomp_build() refuses others). */
enum tender_sv {
    TENDER_SV_CONST,        /* the comparison's constant k */
    TENDER_SV_EPOLLFD,      /* tender-wide values, from policy->values */
    TENDER_SV_TIMERFD,
    TENDER_SV_VCPUFD,
    TENDER_SV_DEV_FD,       /* the device's hostfd */
    TENDER_SV_DEV_CAPACITY, /* the block device's capacity in bytes */
    TENDER_SV_COUNT,
};

/* How an argument (as the unsigned 64-bit value the kernel passes) is
 * compared with a value. */
enum tender_seccomp_op {
    TENDER_CMP_EQ,          /* arg == value */
    TENDER_CMP_LT,          /* arg < value */
};

struct tender_seccomp_cmp {
    unsigned arg;           /* 0 to 5 */
    enum tender_seccomp_op op;
    enum tender_sv value;
    uint64_t k;
};

#define TENDER_SECCOMP_MAX_CMP 3

/* Comparisons for the tables: argument n equals the constant c; argument
 * 0 (the fd) equals a value v; argument n is below a value v. */
#define TENDER_ARG_IS(n, c) \
    { .arg = (n), .op = TENDER_CMP_EQ, .value = TENDER_SV_CONST, .k = (c) }
#define TENDER_FD_IS(v) { .arg = 0, .op = TENDER_CMP_EQ, .value = (v) }
#define TENDER_ARG_BELOW(n, v) { .arg = (n), .op = TENDER_CMP_LT, .value = (v) }

/* A rule's system call, by its name in this architecture's numbering: a
 * call the architecture does not have is a compile-time error. */
#define TENDER_SYSCALL(name) __NR_##name

struct tender_seccomp_rule {
    long nr;                /* TENDER_SYSCALL(name) */
    unsigned n_cmp;
    struct tender_seccomp_cmp cmp[TENDER_SECCOMP_MAX_CMP];
};

/* A table of rules, for the additions of an architecture or an option. */
struct tender_seccomp_table {
    const struct tender_seccomp_rule *rules;
    size_t n;
};
#define TENDER_SECCOMP_TABLE(a) { (a), sizeof(a) / sizeof((a)[0]) }

struct tender_seccomp_policy {
    const struct tender_seccomp_rule *core;
    size_t n_core;
    const struct tender_seccomp_rule *net;      /* per NET device */
    size_t n_net;
    const struct tender_seccomp_rule *block;    /* per BLOCK device */
    size_t n_block;
    /* Chunk sizes of the bounds filter (see above); 0: no bounds filter. */
    unsigned block_levels;
    unsigned block_level_shift;
    /* More tender-wide rules (an architecture's, a debugging option's). */
    const struct tender_seccomp_table *extra;
    size_t n_extra;
    /* Tender-wide values: EPOLLFD, TIMERFD, VCPUFD (others ignored). */
    uint64_t values[TENDER_SV_COUNT];
};

/*
 * Builds the filters for `policy` and the devices attached in t->mft, as
 * classic BPF into prog->filter and bounds->filter (room for `max_insns`
 * each, of which at most BPF_MAXINSNS are used); sets their len
 * (bounds->len = 0 without a bounds filter).  Fails with a message if a
 * filter does not fit or a rule is malformed (a system call number out of
 * range, more than TENDER_SECCOMP_MAX_CMP comparisons, an argument past 5,
 * an unknown operator, a value its table may not name).
 */
struct sock_fprog;
int tender_seccomp_build(const struct tender *t,
        const struct tender_seccomp_policy *policy, struct sock_fprog *prog,
        struct sock_fprog *bounds, size_t max_insns, struct tender_err *err);

/* tender_seccomp_build()'s bounds filter (tender_seccomp_bounds.c). */
int tender_seccomp_bounds(const struct tender *t,
        const struct tender_seccomp_policy *p, struct sock_fprog *prog,
        size_t max_insns, struct tender_err *err);

/* PR_SET_NO_NEW_PRIVS, then installs `prog` and `bounds` (if its len is
 * not 0) for every thread of the process (SECCOMP_FILTER_FLAG_TSYNC: a
 * thread created before, hvt's I/O thread, gets the same filter). */
int tender_seccomp_install(const struct sock_fprog *prog,
        const struct sock_fprog *bounds, struct tender_err *err);

#endif /* TENDER_SECCOMP_H */
