/*
 * hvt_exit_x86_64.c: the x86_64 vCPU's exits (ref §2.5, §2.10).
 *
 * A hypercall is a 32-bit `outl` to port HVT_HYPERCALL_PIO_BASE + nr; the
 * ring kick is one to HVT_RING_KICK_PORT when no KVM_IOEVENTFD took it in
 * the kernel.  kvm-pvm specifics (docs/kvm-pvm.md): a guest write to
 * memory the host mapped read-only is an MMIO exit, not EFAULT, and is
 * reported as the same translation fault; x87/SSE instructions end in an
 * emulation failure, which is diagnosed.  Either can also be the guest's
 * first touch of memory on demand (hvt_kvm_slot.c): then the slot is
 * registered and the access completed, or the instruction run again.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

#define INSN_MAX 15             /* longest x86 instruction */

const char hvt_pc_name[] = "rip";
const unsigned long hvt_pc_ioctl = KVM_GET_REGS;

uint64_t hvt_pc(const struct hvt *h)
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
    /* The ring kick, when no KVM_IOEVENTFD took it in the kernel. */
    if (port == HVT_RING_KICK_PORT && h->ring != NULL)
        return hvt_ring_kick_exit(h, err);
    memcpy(&value, (const uint8_t *)run + run->io.data_offset, sizeof(value));
    return hvt_hypercall(t, HVT_HYPERCALL_NR(port), value, status, err);
}

/* An MMIO access to memory on demand, done on guest memory: KVM hands the
 * data read to the instruction it emulates when KVM_RUN resumes. */
static int hvt_exit_mmio_memory(struct hvt *h, struct tender_err *err)
{
    struct kvm_run *run = h->run;
    uint8_t *at = hvt_gpa(h, run->mmio.phys_addr, run->mmio.len,
            run->mmio.is_write ? HVT_WRITE : HVT_READ, err);

    if (at == NULL)
        return -1;
    if (run->mmio.is_write)
        memcpy(at, run->mmio.data, run->mmio.len);
    else
        memcpy(run->mmio.data, at, run->mmio.len);
    return 0;
}

static int hvt_exit_mmio(struct hvt *h, struct tender_err *err)
{
    const struct kvm_run *run = h->run;
    uint64_t addr = run->mmio.phys_addr;
    int rc;

    if (run->mmio.len <= sizeof(run->mmio.data)) {
        rc = hvt_kvm_slot_touch(h, addr, run->mmio.len, err);
        if (rc > 0)
            return hvt_exit_mmio_memory(h, err);
        if (rc < 0)
            return -1;
    }

    /* hvt has no MMIO devices: RAM here means a page the host made RO. */
    if (addr < h->mem_size)
        return tender_err_set(err, "KVM: host/guest translation fault: "
                "rip=0x%llx, addr=0x%llx (%s read-only guest memory)",
                (unsigned long long)hvt_pc(h), (unsigned long long)addr,
                run->mmio.is_write ? "write to" : "read of");
    return tender_err_set(err, "Invalid guest access: gpa=0x%llx, sz=%u "
            "(rip=0x%llx)", (unsigned long long)addr, run->mmio.len,
            (unsigned long long)hvt_pc(h));
}

static int hvt_exit_internal(struct hvt *h, struct tender_err *err)
{
    const struct kvm_run *run = h->run;
    uint64_t rip;
    uint8_t insn[INSN_MAX];
    const uint8_t *p;
    size_t n = 0, len;
    char hex[3 * INSN_MAX + 1] = "";
    int rc;

    /* Perhaps a first touch of memory on demand: once it is there, the
     * instruction runs again natively (if it fails again, it is not). */
    if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
        rc = hvt_kvm_slot_rest_online(h, err);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    rip = hvt_pc(h);
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

void hvt_exit_kick_ioeventfd(struct kvm_ioeventfd *kick)
{
    kick->addr = HVT_RING_KICK_PORT;
    kick->len = 4;
    kick->flags = KVM_IOEVENTFD_FLAG_PIO;
}

int hvt_exit(struct tender *t, int *status, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    const struct kvm_run *run = h->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        return hvt_exit_io(t, status, err);
    case KVM_EXIT_MMIO:
        return hvt_exit_mmio(h, err);
    case KVM_EXIT_INTERNAL_ERROR:
        return hvt_exit_internal(h, err);
    case KVM_EXIT_SHUTDOWN:
        return tender_err_set(err, "KVM: unhandled exit: exit_reason=0x%x "
                "(shutdown: the guest triple-faulted), rip=0x%llx",
                run->exit_reason, (unsigned long long)hvt_pc(h));
    default:
        return hvt_exit_other(h, err);
    }
}
