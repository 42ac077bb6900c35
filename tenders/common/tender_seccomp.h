/*
 * tender_seccomp.h: building a seccomp filter from a policy table.
 *
 * Each tender writes its policy once, as tables of rules ("allow syscall
 * NAME when these argument comparisons hold"), where a comparison's value
 * is a constant, one of the tender's own fds, or a property of the device
 * the rule is being added for.  This module turns the tables into a
 * libseccomp filter (core rules once, net rules once per attached NET
 * device, block rules once per attached BLOCK device), exports it as
 * classic BPF while libseccomp may still allocate, and installs it.
 * Default action: kill the process (SIGSYS, status 159).
 *
 * Optionally (block_levels > 0) a second, hand-built filter bounds every
 * pread64/pwrite64 to its device: allowed only if, for the device whose fd
 * it names, "count <= c and offset <= capacity - c" for one of the chunk
 * sizes c = block_size << (block_level_shift * k), k < block_levels,
 * c <= capacity.  Seccomp cannot add two arguments, hence the chunk sizes.
 * This cannot be a set of libseccomp rules: libseccomp 2.5 merges rules of
 * one system call that compare two arguments into a cross product (any
 * count bound with any offset bound), which would let a transfer straddle
 * the end of the device.  The kernel applies both filters; a call must
 * pass both.
 */
#ifndef TENDER_SECCOMP_H
#define TENDER_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "tender.h"

/* Where a comparison's value comes from. */
enum tender_sv {
    TENDER_SV_CONST,        /* the comparison's constant k */
    TENDER_SV_EPOLLFD,      /* tender-wide values, from policy->values */
    TENDER_SV_TIMERFD,
    TENDER_SV_VCPUFD,
    TENDER_SV_DEV_FD,       /* the device's hostfd */
    TENDER_SV_DEV_CAPACITY, /* the block device's capacity in bytes */
    TENDER_SV_COUNT,
};

/* SCMP_CMP_* from <seccomp.h>, kept as an int so that users of this header
 * need not include libseccomp's. */
struct tender_seccomp_cmp {
    unsigned arg;
    int op;
    enum tender_sv value;
    uint64_t k;
};

#define TENDER_SECCOMP_MAX_CMP 3

/* Comparisons for the tables (users include <seccomp.h>): argument n
 * equals the constant c; argument 0 (the fd) equals a value v. */
#define TENDER_ARG_IS(n, c) \
    { .arg = (n), .op = SCMP_CMP_EQ, .value = TENDER_SV_CONST, .k = (c) }
#define TENDER_FD_IS(v) { .arg = 0, .op = SCMP_CMP_EQ, .value = (v) }

struct tender_seccomp_rule {
    const char *name;       /* resolved with seccomp_syscall_resolve_name */
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
    const char *name;       /* for the memfd: "solo5-spt" */
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
 * each); sets their len (bounds->len = 0 without a bounds filter).  Fails
 * with a message if a filter does not fit.
 */
struct sock_fprog;
int tender_seccomp_build(const struct tender *t,
        const struct tender_seccomp_policy *policy, struct sock_fprog *prog,
        struct sock_fprog *bounds, size_t max_insns, struct tender_err *err);

/* PR_SET_NO_NEW_PRIVS, then installs `prog` and `bounds` (if its len is
 * not 0) for every thread of the process (SECCOMP_FILTER_FLAG_TSYNC: a
 * thread created before, hvt's I/O thread, gets the same filter). */
int tender_seccomp_install(const struct sock_fprog *prog,
        const struct sock_fprog *bounds, struct tender_err *err);

#endif /* TENDER_SECCOMP_H */
