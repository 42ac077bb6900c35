/*
 * hvt_debug_main.c: solo5-hvt-debug's main: solo5-hvt's backend with the
 * gdb and dumpcore modules added, and the hooks that connect them to the
 * run (hvt_debug.h).
 *
 * Without --gdb or --dumpcore no hook is set and the tender runs exactly
 * as solo5-hvt, filter included.  Each option adds to the filter only the
 * rules its module needs (hvt_gdb.c and hvt_dumpcore.c list them), plus,
 * for both, reading the vCPU's special and FPU registers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include "hvt_debug.h"
#include "tender_modules.h"

int hvt_debug_pin_fd(int *fd, int target, const char *what,
        struct tender_err *err)
{
    if (*fd == target)
        return 0;
    if (fcntl(target, F_GETFD) != -1 || errno != EBADF)
        return tender_err_set(err, "%s: fd %d is already in use", what,
                target);
    if (dup3(*fd, target, O_CLOEXEC) != target)
        return tender_err_set(err, "%s: cannot move fd %d to %d: %s", what,
                *fd, target, strerror(errno));
    close(*fd);
    *fd = target;
    return 0;
}

static int hvt_debug_vcpu_rules(void *ctx, struct tender_err *err)
{
    static const unsigned long reqs[] = { KVM_GET_SREGS, KVM_GET_FPU };

    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
                SCMP_A0(SCMP_CMP_EQ, HVT_DEBUG_FD_VCPU),
                SCMP_A1(SCMP_CMP_EQ, reqs[i]));

        if (rc != 0)
            return tender_err_set(err, "seccomp_rule_add(ioctl): %s",
                    strerror(-rc));
    }
    return 0;
}

static int hvt_debug_rules_gdb(void *ctx, struct tender_err *err)
{
    if (hvt_debug_vcpu_rules(ctx, err) != 0)
        return -1;
    return hvt_gdb_seccomp_rules(ctx, err);
}

static int hvt_debug_rules_dump(void *ctx, struct tender_err *err)
{
    if (hvt_debug_vcpu_rules(ctx, err) != 0)
        return -1;
    return hvt_dumpcore_seccomp_rules(ctx, err);
}

static int hvt_debug_rules_both(void *ctx, struct tender_err *err)
{
    if (hvt_debug_rules_gdb(ctx, err) != 0)
        return -1;
    return hvt_dumpcore_seccomp_rules(ctx, err);
}

static int hvt_debug_before_seccomp(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;

    if (hvt_debug_pin_fd(&h->vcpu_fd, HVT_DEBUG_FD_VCPU, "vCPU", err) != 0)
        return -1;
    if (d->gdb && hvt_gdb_before_seccomp(t, err) != 0)
        return -1;
    if (d->dump_dir != NULL && hvt_dumpcore_before_seccomp(t, err) != 0)
        return -1;
    return 0;
}

static int hvt_debug_start(struct tender *t, struct tender_err *err)
{
    return hvt_debug_of(t)->gdb ? hvt_gdb_start(t, err) : 0;
}

static int hvt_debug_vmexit(struct tender *t, struct tender_err *err)
{
    return hvt_debug_of(t)->gdb ? hvt_gdb_vmexit(t, err) : 0;
}

/* The core first: gdb may end the process (kill). */
static int hvt_debug_done(struct tender *t, int status,
        struct tender_err *err)
{
    struct hvt_debug *d = hvt_debug_of(t);

    if (d->dump_dir != NULL)
        status = hvt_dumpcore_done(t, status, err);
    if (d->gdb)
        status = hvt_gdb_done(t, status, err);
    return status;
}

#define HOOKS(rules) { \
    .before_seccomp = hvt_debug_before_seccomp, \
    .seccomp_rules = (rules), \
    .start = hvt_debug_start, \
    .vmexit = hvt_debug_vmexit, \
    .done = hvt_debug_done, \
}

static const struct hvt_hooks hooks_gdb = HOOKS(hvt_debug_rules_gdb);
static const struct hvt_hooks hooks_dump = HOOKS(hvt_debug_rules_dump);
static const struct hvt_hooks hooks_both = HOOKS(hvt_debug_rules_both);

void hvt_debug_select_hooks(struct hvt *h)
{
    const struct hvt_debug *d = h->debug;

    if (d->gdb && d->dump_dir != NULL)
        h->hooks = &hooks_both;
    else if (d->gdb)
        h->hooks = &hooks_gdb;
    else if (d->dump_dir != NULL)
        h->hooks = &hooks_dump;
}

static const struct tender_module *const hvt_debug_modules[] = {
    &hvt_module_core,
    &tender_module_block,
    &tender_module_net,
    &hvt_module_gdb,
    &hvt_module_dumpcore,
    NULL,
};

int main(int argc, char **argv)
{
    struct hvt_debug debug = {
        .gdb_port = HVT_GDB_DEFAULT_PORT,
        .listen_fd = -1, .conn_fd = -1, .mem_fd = -1, .dump_dirfd = -1,
    };
    struct hvt hvt = {
        .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1,
        .epoll_fd = -1, .timer_fd = -1,
        .user_mode = true,      /* --gdb turns it off: hvt_gdb.c says why */
        .debug = &debug,
    };
    struct tender_backend backend = hvt_backend;

    backend.name = "solo5-hvt-debug";
    backend.modules = hvt_debug_modules;
    return tender_main(&backend, argc, argv, &hvt);
}
