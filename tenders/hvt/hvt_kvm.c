/*
 * hvt_kvm.c: /dev/kvm, the VM with its one memory slot (registered in the
 * background: hvt_kvm_slot.c), and the vCPU with its run area (ref §2.3,
 * §2.4); the rest of the vCPU set-up is the
 * architecture's (hvt_kvm_<arch>.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvt.h"

#define KVM_DEV "/dev/kvm"
#define KVM_API_VERSION_REQUIRED 12

int hvt_kvm_need(const struct hvt *h, int cap, const char *name,
        struct tender_err *err)
{
    if (ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0)
        return tender_err_set(err, "KVM: kernel does not support %s", name);
    return 0;
}

static int hvt_kvm_vcpu(struct hvt *h, struct tender_err *err);

/*
 * /dev/kvm is opened as soon as the tender knows it will run a unikernel,
 * so that the architecture's background work (x86_64: the supported
 * CPUID, the costliest step of a start) overlaps with reading the image,
 * the options and the memory cgroup.  Failures are reported by
 * hvt_kvm_init(), where they always were.
 */
static void hvt_kvm_open(struct hvt *h)
{
    h->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
    h->kvm_open_errno = errno;
    /* A KVM that hvt_kvm_init() then refuses only wasted the work. */
    if (h->kvm_fd >= 0)
        hvt_kvm_arch_open(h);
}

void hvt_kvm_prepare(struct tender *t)
{
    hvt_kvm_open(hvt_of(t));
}

int hvt_kvm_init(struct hvt *h, struct tender_err *err)
{
    int rc;

    /* Not prepared (a harness that sets up a struct hvt by hand). */
    if (h->kvm_fd < 0 && h->kvm_open_errno == 0)
        hvt_kvm_open(h);
    if (h->kvm_fd < 0)
        return tender_err_set(err, "Could not open: %s: %s", KVM_DEV,
                strerror(h->kvm_open_errno));
    rc = ioctl(h->kvm_fd, KVM_GET_API_VERSION, 0);
    if (rc != KVM_API_VERSION_REQUIRED)
        return tender_err_set(err, "KVM: API version is %d, %d required",
                rc, KVM_API_VERSION_REQUIRED);
    if (hvt_kvm_need(h, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", err))
        return -1;
    h->vm_fd = ioctl(h->kvm_fd, KVM_CREATE_VM, 0);
    if (h->vm_fd < 0)
        return tender_err_set(err, "KVM: KVM_CREATE_VM: %s", strerror(errno));
    hvt_kvm_slot_start(h);
    return hvt_kvm_vcpu(h, err);
}

static int hvt_kvm_vcpu(struct hvt *h, struct tender_err *err)
{
    int size;
    void *p;

    h->vcpu_fd = ioctl(h->vm_fd, KVM_CREATE_VCPU, 0);
    if (h->vcpu_fd < 0)
        return tender_err_set(err, "KVM: KVM_CREATE_VCPU: %s",
                strerror(errno));
    size = ioctl(h->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run))
        return tender_err_set(err, "KVM: KVM_GET_VCPU_MMAP_SIZE: %s",
                size < 0 ? strerror(errno) : "too small");
    p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
            h->vcpu_fd, 0);
    if (p == MAP_FAILED)
        return tender_err_set(err, "KVM: mmap of the vCPU run area: %s",
                strerror(errno));
    h->run = p;
    h->run_size = (size_t)size;
    return hvt_kvm_arch_vcpu(h, err);
}
