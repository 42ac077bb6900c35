/*
 * hvt_seccomp.c: the tender's system call policy while the guest runs.
 *
 * Installed after all set-up, right before the first KVM_RUN.  Default
 * action: kill the process (SIGSYS, exit status 159).  Allowed, exactly
 * what the run loop and the hypercall handlers issue (the table style is
 * shared with tenders/spt/spt_seccomp.c):
 *
 *   syscall          argument restrictions                     for
 *   ---------------  ----------------------------------------  ----------
 *   ioctl            fd == the vCPU fd, request == KVM_RUN     run loop
 *   ioctl            fd == the vCPU fd, request == KVM_GET_REGS rip for
 *                                                              fatal exits
 *   write            fd == 1                                   PUTS
 *   write            fd == 2                                   messages
 *   exit_group       -                                         exit
 *   epoll_pwait      epfd == the epoll fd                      POLL
 *   timerfd_settime  fd == the timer fd                        POLL
 *   clock_gettime    clock == CLOCK_REALTIME (when the vDSO    WALLTIME
 *                    falls back to the system call)
 *   read             fd == the device's TAP fd                 each NET
 *   write            fd == the device's TAP fd                 each NET
 *   pread64          fd == the device's fd, offset < capacity  each BLOCK
 *   pwrite64         same as pread64                           each BLOCK
 *
 * Not allowed, among everything else: any other ioctl (no new vCPU, no
 * memory slot changes, no KVM_SET_REGS), mmap/mprotect (guest memory keeps
 * its protections), open, socket, exec.  Block sizes and alignment are
 * checked by the hypercall handler before pread/pwrite.
 *
 * The filter is exported as BPF while libseccomp may still allocate, so
 * that nothing needs malloc()/free() once it is installed.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hvt.h"

/* Where a comparison's value comes from. */
enum hvt_value {
    V_CONST,            /* the rule's constant */
    V_VCPUFD,
    V_EPOLLFD,
    V_TIMERFD,
    V_DEV_FD,           /* the device's hostfd */
    V_DEV_CAPACITY,
};

struct hvt_cmp {
    unsigned arg;
    enum scmp_compare op;
    enum hvt_value value;
    uint64_t k;
};

struct hvt_rule {
    const char *name;   /* resolved with seccomp_syscall_resolve_name */
    unsigned n_cmp;
    struct hvt_cmp cmp[2];
};

#define FD_IS(v) { .arg = 0, .op = SCMP_CMP_EQ, .value = (v) }
#define ARG_IS(n, c) { .arg = (n), .op = SCMP_CMP_EQ, .value = V_CONST, .k = (c) }

static const struct hvt_rule hvt_core_rules[] = {
    { "ioctl", 2, { FD_IS(V_VCPUFD), ARG_IS(1, KVM_RUN) } },
    { "ioctl", 2, { FD_IS(V_VCPUFD), ARG_IS(1, KVM_GET_REGS) } },
    { "write", 1, { ARG_IS(0, STDOUT_FILENO) } },
    { "write", 1, { ARG_IS(0, STDERR_FILENO) } },
    { "exit_group", 0, { { 0 } } },
    { "epoll_pwait", 1, { FD_IS(V_EPOLLFD) } },
    { "timerfd_settime", 1, { FD_IS(V_TIMERFD) } },
    { "clock_gettime", 1, { ARG_IS(0, CLOCK_REALTIME) } },
};

static const struct hvt_rule hvt_net_rules[] = {
    { "read", 1, { FD_IS(V_DEV_FD) } },
    { "write", 1, { FD_IS(V_DEV_FD) } },
};

static const struct hvt_rule hvt_block_rules[] = {
    { "pread64", 2, { FD_IS(V_DEV_FD),
        { 3, SCMP_CMP_LT, V_DEV_CAPACITY, 0 } } },
    { "pwrite64", 2, { FD_IS(V_DEV_FD),
        { 3, SCMP_CMP_LT, V_DEV_CAPACITY, 0 } } },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t hvt_value_of(const struct hvt_cmp *c, const struct hvt *h,
        const struct mft_entry *e)
{
    switch (c->value) {
    case V_CONST:
        return c->k;
    case V_VCPUFD:
        return (uint64_t)h->vcpu_fd;
    case V_EPOLLFD:
        return (uint64_t)h->epoll_fd;
    case V_TIMERFD:
        return (uint64_t)h->timer_fd;
    case V_DEV_FD:
        return (uint64_t)e->b.hostfd;
    case V_DEV_CAPACITY:
        return e->u.block_basic.capacity;
    }
    return 0;
}

static int hvt_add_rules(scmp_filter_ctx ctx, const struct hvt_rule *rules,
        size_t n, const struct hvt *h, const struct mft_entry *e,
        struct tender_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct scmp_arg_cmp cmp[2];
        int nr = seccomp_syscall_resolve_name(rules[i].name);
        int rc;

        if (nr == __NR_SCMP_ERROR)
            return tender_err_set(err, "seccomp: unknown system call %s",
                    rules[i].name);
        for (unsigned j = 0; j < rules[i].n_cmp; j++) {
            const struct hvt_cmp *c = &rules[i].cmp[j];

            cmp[j] = (struct scmp_arg_cmp){
                .arg = c->arg, .op = c->op,
                .datum_a = hvt_value_of(c, h, e), .datum_b = 0,
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

static int hvt_add_all(scmp_filter_ctx ctx, struct tender *t,
        struct tender_err *err)
{
    const struct hvt *h = hvt_of(t);

    if (hvt_add_rules(ctx, hvt_core_rules, N(hvt_core_rules), h, NULL,
                err) != 0)
        return -1;
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        int rc = 0;

        if (!e->attached)
            continue;
        if (e->type == MFT_DEV_NET_BASIC)
            rc = hvt_add_rules(ctx, hvt_net_rules, N(hvt_net_rules), h, e,
                    err);
        else if (e->type == MFT_DEV_BLOCK_BASIC)
            rc = hvt_add_rules(ctx, hvt_block_rules, N(hvt_block_rules), h,
                    e, err);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Exports the filter through a memfd into prog->filter. */
static int hvt_export(scmp_filter_ctx ctx, struct sock_fprog *prog,
        size_t max_insns, struct tender_err *err)
{
    size_t max = max_insns * sizeof(struct sock_filter);
    ssize_t n;
    off_t size;
    int fd, rc;

    fd = memfd_create("solo5-hvt-bpf", MFD_CLOEXEC);
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

int hvt_seccomp_install(struct tender *t, struct tender_err *err)
{
    /* Static: ~32 KiB is too much for the stack, and it is built once. */
    static struct sock_filter insns[BPF_MAXINSNS];
    struct sock_fprog prog = { .filter = insns };
    scmp_filter_ctx ctx;
    int rc;

    ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx == NULL)
        return tender_err_set(err, "seccomp: seccomp_init failed");
    rc = hvt_add_all(ctx, t, err);
    if (rc == 0)
        rc = hvt_export(ctx, &prog, BPF_MAXINSNS, err);
    seccomp_release(ctx);
    if (rc != 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return tender_err_set(err, "prctl(PR_SET_NO_NEW_PRIVS): %s",
                strerror(errno));
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        return tender_err_set(err, "installing the seccomp filter: %s",
                strerror(errno));
    return 0;
}
