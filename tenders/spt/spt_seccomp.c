/*
 * spt_seccomp.c: the guest's system call policy.
 *
 * Default action: kill the process (SIGSYS, exit status 159).  Allowed,
 * exactly what the spt bindings issue and on the fds they need:
 *
 *   syscall          argument restrictions                     for
 *   ---------------  ----------------------------------------  ----------
 *   write            fd == 1                                   console
 *   exit_group       -                                         solo5_exit
 *   epoll_pwait      epfd == the epoll fd                      yield
 *   timerfd_settime  fd == the timer fd                        yield
 *   clock_gettime    clock == CLOCK_MONOTONIC                  clocks
 *   clock_gettime    clock == CLOCK_REALTIME                   clocks
 *   (arch rules, spt_seccomp_<arch>.c: x86_64 arch_prctl(ARCH_SET_FS))
 *   read             fd == the device's TAP fd                 each NET
 *   write            fd == the device's TAP fd                 each NET
 *   pread64          fd == the device's fd, count == block     each BLOCK
 *                    size, offset <= capacity - block size
 *   pwrite64         same as pread64                           each BLOCK
 *
 * The filter is exported as BPF while libseccomp may still allocate, so
 * that nothing calls malloc()/free() once it is installed.
 */
#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "spt.h"

/* Where a comparison's value comes from. */
enum spt_value {
    V_CONST,            /* the rule's constant */
    V_EPOLLFD,
    V_TIMERFD,
    V_DEV_FD,           /* the device's hostfd */
    V_DEV_BLOCK_SIZE,
    V_DEV_LAST_BLOCK,   /* capacity - block size */
};

struct spt_cmp {
    unsigned arg;
    enum scmp_compare op;
    enum spt_value value;
    uint64_t k;
};

struct spt_rule {
    const char *name;   /* resolved with seccomp_syscall_resolve_name */
    unsigned n_cmp;
    struct spt_cmp cmp[3];
};

#define FD_IS(v) { .arg = 0, .op = SCMP_CMP_EQ, .value = (v) }

static const struct spt_rule spt_core_rules[] = {
    { "write", 1, { { 0, SCMP_CMP_EQ, V_CONST, 1 } } },
    { "exit_group", 0, { { 0 } } },
    { "epoll_pwait", 1, { FD_IS(V_EPOLLFD) } },
    { "timerfd_settime", 1, { FD_IS(V_TIMERFD) } },
    { "clock_gettime", 1, { { 0, SCMP_CMP_EQ, V_CONST, CLOCK_MONOTONIC } } },
    { "clock_gettime", 1, { { 0, SCMP_CMP_EQ, V_CONST, CLOCK_REALTIME } } },
};

static const struct spt_rule spt_net_rules[] = {
    { "read", 1, { FD_IS(V_DEV_FD) } },
    { "write", 1, { FD_IS(V_DEV_FD) } },
};

static const struct spt_rule spt_block_rules[] = {
    { "pread64", 3, { FD_IS(V_DEV_FD),
        { 2, SCMP_CMP_EQ, V_DEV_BLOCK_SIZE, 0 },
        { 3, SCMP_CMP_LE, V_DEV_LAST_BLOCK, 0 } } },
    { "pwrite64", 3, { FD_IS(V_DEV_FD),
        { 2, SCMP_CMP_EQ, V_DEV_BLOCK_SIZE, 0 },
        { 3, SCMP_CMP_LE, V_DEV_LAST_BLOCK, 0 } } },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t spt_value_of(const struct spt_cmp *c, const struct spt *spt,
        const struct mft_entry *e)
{
    switch (c->value) {
    case V_CONST:
        return c->k;
    case V_EPOLLFD:
        return (uint64_t)spt->epollfd;
    case V_TIMERFD:
        return (uint64_t)spt->timerfd;
    case V_DEV_FD:
        return (uint64_t)e->b.hostfd;
    case V_DEV_BLOCK_SIZE:
        return e->u.block_basic.block_size;
    case V_DEV_LAST_BLOCK:
        return e->u.block_basic.capacity - e->u.block_basic.block_size;
    }
    return 0;
}

static int spt_add_rules(scmp_filter_ctx ctx, const struct spt_rule *rules,
        size_t n, const struct spt *spt, const struct mft_entry *e,
        struct tender_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct scmp_arg_cmp cmp[3];
        int nr = seccomp_syscall_resolve_name(rules[i].name);
        int rc;

        if (nr == __NR_SCMP_ERROR)
            return tender_err_set(err, "seccomp: unknown system call %s",
                    rules[i].name);
        for (unsigned j = 0; j < rules[i].n_cmp; j++) {
            const struct spt_cmp *c = &rules[i].cmp[j];

            cmp[j] = (struct scmp_arg_cmp){
                .arg = c->arg, .op = c->op,
                .datum_a = spt_value_of(c, spt, e), .datum_b = 0,
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

static int spt_add_all(scmp_filter_ctx ctx, struct tender *t,
        struct tender_err *err)
{
    const struct spt *spt = spt_of(t);

    if (spt_add_rules(ctx, spt_core_rules, N(spt_core_rules), spt, NULL,
                err) != 0 || spt_seccomp_arch_rules(ctx, err) != 0)
        return -1;
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        int rc = 0;

        if (!e->attached)
            continue;
        if (e->type == MFT_DEV_NET_BASIC)
            rc = spt_add_rules(ctx, spt_net_rules, N(spt_net_rules), spt, e,
                    err);
        else if (e->type == MFT_DEV_BLOCK_BASIC)
            rc = spt_add_rules(ctx, spt_block_rules, N(spt_block_rules), spt,
                    e, err);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Exports the filter through a memfd into prog->filter. */
static int spt_export(scmp_filter_ctx ctx, struct sock_fprog *prog,
        size_t max_insns, struct tender_err *err)
{
    size_t max = max_insns * sizeof(struct sock_filter);
    ssize_t n;
    off_t size;
    int fd, rc;

    fd = memfd_create("solo5-spt-bpf", MFD_CLOEXEC);
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
        return tender_err_set(err, "seccomp: exported filter has a bad size "
                "(%lld bytes, at most %zu)", (long long)size, max);
    }
    n = pread(fd, prog->filter, (size_t)size, 0);
    close(fd);
    if (n != size)
        return tender_err_set(err, "seccomp: reading back the filter failed");
    prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    return 0;
}

int spt_seccomp_build(struct tender *t, struct sock_fprog *prog,
        size_t max_insns, struct tender_err *err)
{
    scmp_filter_ctx ctx;
    int rc;

    ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx == NULL)
        return tender_err_set(err, "seccomp: seccomp_init failed");
    rc = spt_add_all(ctx, t, err);
    if (rc == 0)
        rc = spt_export(ctx, prog, max_insns, err);
    seccomp_release(ctx);
    return rc;
}
