/*
 * hvt_kvm_cpuid_x86_64.c: KVM_GET_SUPPORTED_CPUID on a helper thread.
 *
 * It needs only /dev/kvm, and it is the costliest step of the start
 * (0.25-0.4 ms on the project machine, as much as creating the VM and its
 * vCPU together: KVM executes CPUID for every leaf, and on a host that is
 * itself a VM each one traps to the hypervisor below; docs/performance.md,
 * "Cold start").  So the helper issues it as soon as /dev/kvm is open,
 * while this thread creates the VM and the vCPU and loads the unikernel;
 * hvt_cpu_x86_64.c takes the result when it sets the vCPU's CPUID.  The
 * helper is gone (joined) before the seccomp filter is installed.  Without
 * it (pthread_create failed) the ioctl is issued when the result is
 * needed.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"
#include "hvt_cpuid_x86_64.h"

struct hvt_kvm_cpuid {
    int kvm_fd;
    pthread_t thread;
    bool started;
    int rc, error;                      /* the ioctl's result, errno */
    struct kvm_cpuid2 *cpuid;           /* HVT_KVM_CPUID_MAX entries */
};

static void *hvt_kvm_cpuid_fetch(void *arg)
{
    struct hvt_kvm_cpuid *c = arg;

    c->rc = ioctl(c->kvm_fd, KVM_GET_SUPPORTED_CPUID, c->cpuid);
    c->error = errno;
    return NULL;
}

void hvt_kvm_arch_open(struct hvt *h)
{
    struct hvt_kvm_cpuid *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return;
    c->cpuid = calloc(1, sizeof(struct kvm_cpuid2) +
            HVT_KVM_CPUID_MAX * sizeof(struct kvm_cpuid_entry2));
    if (c->cpuid == NULL) {
        free(c);
        return;
    }
    c->kvm_fd = h->kvm_fd;
    c->cpuid->nent = HVT_KVM_CPUID_MAX;
    h->kvm_cpuid = c;
    c->started = hvt_helper_start(&c->thread, hvt_kvm_cpuid_fetch, c) == 0;
}

int hvt_kvm_supported_cpuid(struct hvt *h, struct kvm_cpuid2 **cpuid,
        struct tender_err *err)
{
    struct hvt_kvm_cpuid *c = h->kvm_cpuid;

    if (c == NULL)
        return tender_err_set(err, "out of memory");
    if (c->started) {
        pthread_join(c->thread, NULL);
        c->started = false;
    } else {
        hvt_kvm_cpuid_fetch(c);
    }
    if (c->rc != 0)
        return tender_err_set(err, "KVM: KVM_GET_SUPPORTED_CPUID: %s",
                strerror(c->error));
    *cpuid = c->cpuid;
    return 0;
}

void hvt_kvm_cpuid_free(struct hvt *h)
{
    struct hvt_kvm_cpuid *c = h->kvm_cpuid;

    if (c == NULL)
        return;
    if (c->started)
        pthread_join(c->thread, NULL);
    free(c->cpuid);
    free(c);
    h->kvm_cpuid = NULL;
}
