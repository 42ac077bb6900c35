/*
 * kvm_slot_fail.c: an LD_PRELOAD library for the tests of solo5-hvt's memory
 * slots (tests/faults/test_kvm_slot.py, tests/hvt/test_mem_on_demand.py).
 *
 * Fails KVM_SET_USER_MEMORY_REGION for the slot named by KVM_SLOT_FAIL
 * ("0" guest memory or its start, "1" the I/O rings, "2" the stack's, "3"
 * memory on demand: tenders/hvt/hvt_kvm_slot.c) with ENOMEM, as a kernel
 * short of memory for the slot's reverse map would; passes every other
 * ioctl on.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>

int ioctl(int fd, unsigned long request, ...)
{
    static int (*next)(int, unsigned long, void *);
    const char *fail = getenv("KVM_SLOT_FAIL");
    va_list ap;
    void *arg;

    va_start(ap, request);
    arg = va_arg(ap, void *);
    va_end(ap);
    if (request == KVM_SET_USER_MEMORY_REGION && fail != NULL) {
        const struct kvm_userspace_memory_region *r = arg;

        if (r->slot == (unsigned)atoi(fail)) {
            errno = ENOMEM;
            return -1;
        }
    }
    if (next == NULL)
        next = (int (*)(int, unsigned long, void *))dlsym(RTLD_NEXT, "ioctl");
    return next(fd, request, arg);
}
