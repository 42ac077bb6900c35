/*
 * kvm_slot_fail.c: an LD_PRELOAD library for tests/faults/test_kvm_slot.py.
 *
 * Fails KVM_SET_USER_MEMORY_REGION for the slot named by KVM_SLOT_FAIL
 * ("0" guest memory, "1" the I/O rings) with ENOMEM, as a kernel short of
 * memory for the slot's reverse map would; passes every other ioctl on.
 * solo5-hvt registers slot 0 on a helper thread (hvt_kvm_slot.c): the
 * failure must still end the start with one line, before the guest runs.
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
