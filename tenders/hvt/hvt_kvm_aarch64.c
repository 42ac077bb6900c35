/*
 * hvt_kvm_aarch64.c: the aarch64 part of the vCPU set-up (ref A2.1): the
 * vCPU is initialised as the host's preferred target with no optional
 * feature (no PSCI, PMU, SVE or pointer authentication), and the guest's
 * clock runs at the host's counter frequency, CNTFRQ_EL0 (KVM has no
 * KVM_GET_TSC_KHZ here).  CNTVCT_EL0 and `yield` serve the I/O thread's
 * busy waits.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

/* Nothing to start early: the vCPU's features need no host query. */
void hvt_kvm_arch_open(struct hvt *h)
{
    (void)h;
}

/* Not here: a first touch by an instruction whose data abort carries no
 * syndrome (a load/store pair, SIMD) would end KVM_RUN with an error
 * rather than an exit the tender could complete. */
bool hvt_kvm_arch_on_demand(struct hvt *h)
{
    (void)h;
    return false;
}

int hvt_kvm_arch_vcpu(struct hvt *h, struct tender_err *err)
{
    struct kvm_vcpu_init init;
    uint64_t freq;

    memset(&init, 0, sizeof(init));
    if (ioctl(h->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) != 0)
        return tender_err_set(err, "KVM: ioctl (KVM_ARM_PREFERRED_TARGET) "
                "failed: %s", strerror(errno));
    memset(init.features, 0, sizeof(init.features));
    if (ioctl(h->vcpu_fd, KVM_ARM_VCPU_INIT, &init) != 0)
        return tender_err_set(err, "KVM: ioctl (KVM_ARM_VCPU_INIT) failed: "
                "%s", strerror(errno));
    __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(freq));
    if (freq == 0)
        return tender_err_set(err, "KVM: the host's counter frequency "
                "(CNTFRQ_EL0) is 0");
    h->cycle_hz = freq;
    return 0;
}

uint64_t hvt_host_cycles(void)
{
    uint64_t v;

    __asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

void hvt_host_relax(void)
{
    __asm__ __volatile__("yield" ::: "memory");
}
