/*
 * hvt_run.c: drop privileges and run the vCPU until the guest halts or
 * faults (ref §2.10 step 10).
 *
 * solo5-hvt-debug's modules see every exit first (struct hvt_hooks).
 *
 * Every exit other than a hypercall ends the guest with status 1 and one
 * line saying what happened and where (rip).  kvm-pvm specifics
 * (docs/kvm-pvm.md): a guest write to memory the host mapped read-only is
 * an MMIO exit, not EFAULT, and is reported as the same translation fault;
 * x87/SSE instructions end in an emulation failure, which is diagnosed.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <unistd.h>

#include "hvt.h"

#define INSN_MAX 15             /* longest x86 instruction */

/* The guest's rip, for messages; ~0 if KVM cannot tell. */
static uint64_t hvt_rip(const struct hvt *h)
{
    struct kvm_regs regs;

    if (ioctl(h->vcpu_fd, KVM_GET_REGS, &regs) != 0)
        return ~0ULL;
    return regs.rip;
}

static int hvt_exit_io(struct tender *t, int *status, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    const struct kvm_run *run = h->run;
    unsigned port = run->io.port;
    uint32_t value;

    if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
            run->io.count != 1 ||
            run->io.data_offset > h->run_size - sizeof(value))
        return tender_err_set(err, "Invalid guest port access: port=0x%x",
                port);
    /*
     * The 256 ports from HVT_HYPERCALL_PIO_BASE are hypercall numbers
     * (upstream calls 0x509.. invalid ports; we name the number instead).
     */
    if (port < HVT_HYPERCALL_PIO_BASE ||
            port - HVT_HYPERCALL_PIO_BASE >= HVT_HYPERCALL_PIO_COUNT)
        return tender_err_set(err, "Invalid guest port access: port=0x%x",
                port);
    /* The ring kick, when KVM_IOEVENTFD did not take it in the kernel. */
    if (port == HVT_RING_KICK_PORT && h->ring != NULL) {
        hvt_ring_kick(h);
        return 0;
    }
    memcpy(&value, (const uint8_t *)run + run->io.data_offset, sizeof(value));
    return hvt_hypercall(t, HVT_HYPERCALL_NR(port), value, status, err);
}

static int hvt_exit_mmio(const struct hvt *h, struct tender_err *err)
{
    const struct kvm_run *run = h->run;
    uint64_t addr = run->mmio.phys_addr;

    /* hvt has no MMIO devices: RAM here means a page the host made RO. */
    if (addr < h->mem_size)
        return tender_err_set(err, "KVM: host/guest translation fault: "
                "rip=0x%llx, addr=0x%llx (%s read-only guest memory)",
                (unsigned long long)hvt_rip(h), (unsigned long long)addr,
                run->mmio.is_write ? "write to" : "read of");
    return tender_err_set(err, "Invalid guest access: gpa=0x%llx, sz=%u "
            "(rip=0x%llx)", (unsigned long long)addr, run->mmio.len,
            (unsigned long long)hvt_rip(h));
}

static int hvt_exit_internal(const struct hvt *h, struct tender_err *err)
{
    const struct kvm_run *run = h->run;
    uint64_t rip = hvt_rip(h);
    uint8_t insn[INSN_MAX];
    const uint8_t *p;
    size_t n = 0, len;
    char hex[3 * INSN_MAX + 1] = "";

    if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
        return tender_err_set(err, "KVM: internal error exit: "
                "suberror=0x%x, rip=0x%llx", run->internal.suberror,
                (unsigned long long)rip);
    /* The bytes at rip, as far as guest memory goes; else KVM's copy. */
    if (rip < h->mem_size) {
        struct tender_err ignored;

        n = h->mem_size - rip < INSN_MAX ? h->mem_size - rip : INSN_MAX;
        p = hvt_gpa(h, rip, n, HVT_READ, &ignored);
        if (p != NULL)
            memcpy(insn, p, n);
        else
            n = 0;
    } else if (run->emulation_failure.flags &
            KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) {
        n = run->emulation_failure.insn_size;
        n = n < INSN_MAX ? n : INSN_MAX;
        memcpy(insn, run->emulation_failure.insn_bytes, n);
    }
    len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(hex + len, sizeof(hex) - len, "%s%02x",
                i ? " " : "", insn[i]);
    return tender_err_set(err, "KVM: internal error exit: suberror=0x%x, "
            "rip=0x%llx, instruction bytes: %s%s",
            run->internal.suberror, (unsigned long long)rip,
            n ? hex : "(unavailable)", hvt_insn_is_fpu(insn, n) ?
            ": this host's KVM cannot execute FPU/SSE instructions in "
            "guests" : "");
}

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
                        "fault: rip=0x%llx", (unsigned long long)hvt_rip(h));
            return tender_err_set(err, "KVM: KVM_RUN: %s", strerror(errno));
        }
        if (hooks != NULL && hooks->vmexit != NULL) {
            rc = hooks->vmexit(t, err);
            if (rc < 0)
                return -1;
            if (rc > 0)
                continue;
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            rc = hvt_exit_io(t, &status, err);
            if (rc < 0)
                return -1;
            if (rc > 0)
                return status;
            break;
        case KVM_EXIT_MMIO:
            return hvt_exit_mmio(h, err);
        case KVM_EXIT_FAIL_ENTRY:
            return tender_err_set(err, "KVM: entry failure: "
                    "hw_entry_failure_reason=0x%llx", (unsigned long long)
                    run->fail_entry.hardware_entry_failure_reason);
        case KVM_EXIT_INTERNAL_ERROR:
            return hvt_exit_internal(h, err);
        case KVM_EXIT_SHUTDOWN:
            return tender_err_set(err, "KVM: unhandled exit: exit_reason=0x%x "
                    "(shutdown: the guest triple-faulted), rip=0x%llx",
                    run->exit_reason, (unsigned long long)hvt_rip(h));
        default:
            return tender_err_set(err, "KVM: unhandled exit: exit_reason=0x%x, "
                    "rip=0x%llx", run->exit_reason,
                    (unsigned long long)hvt_rip(h));
        }
    }
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
    if (h->hooks != NULL && h->hooks->before_seccomp != NULL &&
            h->hooks->before_seccomp(t, err) != 0)
        return -1;
    if (hvt_seccomp_install(t, err) != 0)
        return -1;
    status = hvt_loop(t, err);
    if (h->hooks != NULL && h->hooks->done != NULL)
        status = h->hooks->done(t, status, err);
    return status;
}
