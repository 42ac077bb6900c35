/*
 * hvt_run.c: drop privileges and run the vCPU until the guest halts or
 * faults (ref §2.10 step 10).
 *
 * solo5-hvt-debug's modules see every exit first (struct hvt_hooks).
 *
 * Every exit other than a hypercall ends the guest with status 1 and one
 * line saying what happened and where (the guest's program counter); the
 * architecture's exits are decoded by hvt_exit_<arch>.c.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <unistd.h>

#include "hvt.h"

/* Runs until HALT (returns the status) or a fatal exit (-1, err set). */
static int hvt_loop(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct kvm_run *run = h->run;
    const struct hvt_hooks *hooks = h->hooks;
    int status = 0, rc;

    if (hooks != NULL && hooks->start != NULL && hooks->start(t, err) != 0)
        return -1;
    for (;;) {
        if (h->ring != NULL)
            hvt_affinity_note_vcpu(&h->affinity);
        if (ioctl(h->vcpu_fd, KVM_RUN, 0) != 0) {
            if (errno == EINTR) {
                /* A signal (solo5-hvt-debug: the debugger's interrupt).
                 * KVM need not set the reason for an immediate_exit. */
                run->exit_reason = KVM_EXIT_INTR;
                if (hooks != NULL && hooks->vmexit != NULL &&
                        hooks->vmexit(t, err) < 0)
                    return -1;
                continue;
            }
            if (errno == EFAULT)
                return tender_err_set(err, "KVM: host/guest translation "
                        "fault: %s=0x%llx", hvt_pc_name,
                        (unsigned long long)hvt_pc(h));
            return tender_err_set(err, "KVM: KVM_RUN: %s", strerror(errno));
        }
        if (hooks != NULL && hooks->vmexit != NULL) {
            rc = hooks->vmexit(t, err);
            if (rc < 0)
                return -1;
            if (rc > 0)
                continue;
        }
        rc = hvt_exit(t, &status, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return status;
    }
}

int hvt_exit_other(const struct hvt *h, struct tender_err *err)
{
    const struct kvm_run *run = h->run;

    if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
        return tender_err_set(err, "KVM: entry failure: "
                "hw_entry_failure_reason=0x%llx", (unsigned long long)
                run->fail_entry.hardware_entry_failure_reason);
    return tender_err_set(err, "KVM: unhandled exit: exit_reason=0x%x, "
            "%s=0x%llx", run->exit_reason, hvt_pc_name,
            (unsigned long long)hvt_pc(h));
}

int hvt_run(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    int persona, status;

    if (hvt_poll_setup(t, err) != 0)
        return -1;
    persona = personality(0xffffffff);
    if (persona < 0)
        return tender_err_set(err, "personality: %s", strerror(errno));
    if (persona & READ_IMPLIES_EXEC)
        return tender_err_set(err, "Cannot run with the READ_IMPLIES_EXEC "
                "personality: it would make guest memory executable in the "
                "tender");
    close(t->kernel_fd);
    t->kernel_fd = -1;
    fflush(NULL);
    hvt_mem_prefault_join(h);
    if (hvt_kvm_slot_join(h, err) != 0)
        return -1;
    if (h->hooks != NULL && h->hooks->before_seccomp != NULL &&
            h->hooks->before_seccomp(t, err) != 0)
        return -1;
    if (hvt_seccomp_install(t, err) != 0)
        return -1;
    status = hvt_loop(t, err);
    /* The guest's last words before the tender's (a fatal exit). */
    if (status < 0 && h->console != NULL) {
        struct tender_err ignored;

        (void)hvt_console_flush(h, &ignored);
    }
    if (h->hooks != NULL && h->hooks->done != NULL)
        status = h->hooks->done(t, status, err);
    return status;
}
