/*
 * hvt_kvm_x86_64.c: the x86_64 part of the VM and vCPU set-up: exits for
 * memory on demand, the TSC frequency the guest's clock is scaled by (ref
 * §2.4), and the TSC and `pause` for the I/O thread's busy waits.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

/*
 * A guest instruction that touches memory without a slot is emulated as
 * MMIO; one that KVM's emulator cannot run (x87/SSE on kvm-pvm) would, at
 * CPL3, get the guest a #UD.  With KVM_CAP_EXIT_ON_EMULATION_FAILURE it
 * ends KVM_RUN instead, with the guest's state untouched, and the
 * instruction can be run again once the memory has a slot.
 */
bool hvt_kvm_arch_on_demand(struct hvt *h)
{
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE,
        .args = { 1 },
    };

    return ioctl(h->vm_fd, KVM_CHECK_EXTENSION,
            KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0 &&
        ioctl(h->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
}

int hvt_kvm_arch_vcpu(struct hvt *h, struct tender_err *err)
{
    int khz;

    if (hvt_kvm_need(h, KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ", err))
        return -1;
    khz = ioctl(h->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (khz < 0 && errno == EIO)
        return tender_err_set(err, "KVM: host TSC is unstable, cannot "
                "continue");
    if (khz <= 0)
        return tender_err_set(err, "KVM: KVM_GET_TSC_KHZ: %s",
                khz < 0 ? strerror(errno) : "frequency is 0");
    h->cycle_hz = (uint64_t)khz * 1000;
    return 0;
}

uint64_t hvt_host_cycles(void)
{
    return __builtin_ia32_rdtsc();
}

void hvt_host_relax(void)
{
    __builtin_ia32_pause();
}
