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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvt_debug.h"
#include "tender_modules.h"
#include "tender_seccomp.h"

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

/* Reading the vCPU's special and FPU registers: both modules. */
static const struct tender_seccomp_rule hvt_debug_vcpu_rules[] = {
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_GET_SREGS) } },
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_GET_FPU) } },
};

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

/* Both modules read the vCPU's registers; each adds its own rules. */
void hvt_debug_select_hooks(struct hvt *h)
{
    struct hvt_debug *d = h->debug;
    size_t n = 0;

    d->rules[n++] = (struct tender_seccomp_table)
        TENDER_SECCOMP_TABLE(hvt_debug_vcpu_rules);
    if (d->gdb)
        d->rules[n++] = hvt_gdb_seccomp_rules;
    if (d->dump_dir != NULL)
        d->rules[n++] = hvt_dumpcore_seccomp_rules;
    d->hooks = (struct hvt_hooks){
        .before_seccomp = hvt_debug_before_seccomp,
        .seccomp_rules = d->rules,
        .n_seccomp_rules = n,
        .start = hvt_debug_start,
        .vmexit = hvt_debug_vmexit,
        .done = hvt_debug_done,
    };
    h->hooks = &d->hooks;
}

/* solo5-hvt's own option (--busy-poll) is about the I/O rings, which this
 * tender does not offer (io_rings stays false). */
static const struct tender_module hvt_debug_core = {
    .name = "core",
};

static const struct tender_module *const hvt_debug_modules[] = {
    &hvt_debug_core,
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
    /* exit(), not return: helper threads may still use `hvt` in this
     * frame after a set-up error (hvt_main.c). */
    exit(tender_main(&backend, argc, argv, &hvt));
}
