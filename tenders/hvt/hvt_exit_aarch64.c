/*
 * hvt_exit_aarch64.c: the aarch64 vCPU's exits (ref A2.5, A2.6).
 *
 * A hypercall is a 32-bit store of the argument's GPA to
 * HVT_HYPERCALL_MMIO_ADDRESS(nr): no memory slot covers the MMIO window,
 * so KVM hands the store to us as KVM_EXIT_MMIO.  The first
 * HVT_HYPERCALL_PIO_COUNT 8-byte slots of the window are hypercall numbers
 * (as the ports are on x86_64: an unknown one is an invalid hypercall);
 * the ring kick, when no KVM_IOEVENTFD took it in the kernel, is a store
 * to HVT_RING_KICK_MMIO.  Anything else in the window (a load, a
 * store of another size, an unaligned or unknown address) ends the guest.
 * Unlike upstream, a hypercall address must be 8-byte aligned.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

#define REG_PC (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
        KVM_REG_ARM_CORE_REG(regs.pc))
#define HYPERCALL_SLOT (1ULL << HVT_HYPERCALL_MMIO_SHIFT)

const char hvt_pc_name[] = "pc";
const unsigned long hvt_pc_ioctl = KVM_GET_ONE_REG;

uint64_t hvt_pc(const struct hvt *h)
{
    uint64_t pc;
    struct kvm_one_reg reg = { .id = REG_PC, .addr = (uint64_t)(uintptr_t)&pc };

    if (ioctl(h->vcpu_fd, KVM_GET_ONE_REG, &reg) != 0)
        return ~0ULL;
    return pc;
}

void hvt_exit_kick_ioeventfd(struct kvm_ioeventfd *kick)
{
    kick->addr = HVT_RING_KICK_MMIO;
    kick->len = 4;
    kick->flags = 0;            /* MMIO, any value */
}

static int hvt_exit_mmio(struct tender *t, int *status,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    const struct kvm_run *run = h->run;
    uint64_t addr = run->mmio.phys_addr, off = addr - HVT_HYPERCALL_MMIO_BASE;
    uint32_t value;

    if (!run->mmio.is_write || run->mmio.len != sizeof(value))
        return tender_err_set(err, "Invalid guest mmio access: mmio=0x%llx "
                "len=%u (%s, pc=0x%llx)", (unsigned long long)addr,
                run->mmio.len, run->mmio.is_write ? "write" : "read",
                (unsigned long long)hvt_pc(h));
    if (addr == HVT_RING_KICK_MMIO && h->ring != NULL)
        return hvt_ring_kick_exit(h, err);
    if (addr < HVT_HYPERCALL_MMIO_BASE ||
            off >= HVT_HYPERCALL_PIO_COUNT * HYPERCALL_SLOT ||
            off % HYPERCALL_SLOT != 0)
        return tender_err_set(err, "Invalid guest mmio access: mmio=0x%llx "
                "(pc=0x%llx)", (unsigned long long)addr,
                (unsigned long long)hvt_pc(h));
    memcpy(&value, run->mmio.data, sizeof(value));  /* little-endian */
    return hvt_hypercall(t, (unsigned)(off / HYPERCALL_SLOT), value, status,
            err);
}

int hvt_exit(struct tender *t, int *status, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);

    switch (h->run->exit_reason) {
    case KVM_EXIT_MMIO:
        return hvt_exit_mmio(t, status, err);
    default:
        return hvt_exit_other(h, err);
    }
}
