/*
 * hvt_kvm_x86_64.c: the x86_64 part of the vCPU set-up: the TSC frequency
 * the guest's clock is scaled by (ref §2.4), and the TSC and `pause` for
 * the I/O thread's busy waits.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

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
