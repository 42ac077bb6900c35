/*
 * hvt_kvm_slot.c: guest memory's KVM slot registered on a helper thread.
 *
 * KVM_SET_USER_MEMORY_REGION costs in proportion to the slot's size: with
 * shadow paging (kvm-pvm) KVM allocates and zeroes a reverse map entry for
 * every 4 KiB page, ~1 MiB for the default 512 MiB, 0.5-0.9 ms on the
 * project machine against 55 us for 2 MiB (docs/performance.md, "Round
 * 8").  Nothing but KVM_RUN needs the slot: creating the vCPU, setting its
 * registers and CPUID, loading the image (through the tender's own
 * mapping) do not.  So the helper registers it while this thread does
 * all of those, and hvt_run() joins it before the seccomp filter, ahead of
 * the first KVM_RUN.  Without a thread (pthread_create failed) the slot is
 * registered at the join.  Other slots (the I/O rings') wait for the join
 * too: KVM registers one slot at a time, and a second ioctl issued now
 * would only wait for the helper's.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

static int hvt_kvm_slot_set(const struct hvt *h, uint32_t slot,
        uint64_t gpa, uint64_t size, void *host)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)host,
    };

    return ioctl(h->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

static void *hvt_kvm_slot_add(void *arg)
{
    struct hvt *h = arg;

    h->slot.rc = hvt_kvm_slot_set(h, 0, 0, h->mem_size, h->mem);
    h->slot.error = errno;
    return NULL;
}

void hvt_kvm_slot_start(struct hvt *h)
{
    pthread_attr_t attr;

    h->slot.pending = true;
    /* One ioctl: a small stack is plenty. */
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setstacksize(&attr, 64 * 1024);
    h->slot.started = pthread_create(&h->slot.thread, &attr,
            hvt_kvm_slot_add, h) == 0;
    pthread_attr_destroy(&attr);
}

void hvt_kvm_slot_later(struct hvt *h, uint64_t gpa, uint64_t size,
        void *host, const char *what)
{
    h->slot.later = (struct hvt_kvm_slot_later){ gpa, size, host, what };
}

/* Slot 1, if one was queued. */
static int hvt_kvm_slot_add_later(struct hvt *h, struct tender_err *err)
{
    const struct hvt_kvm_slot_later *l = &h->slot.later;

    if (l->size == 0)
        return 0;
    if (hvt_kvm_slot_set(h, 1, l->gpa, l->size, l->host) != 0)
        return tender_err_set(err, "KVM: KVM_SET_USER_MEMORY_REGION (%s): "
                "%s", l->what, strerror(errno));
    h->slot.later.size = 0;
    return 0;
}

int hvt_kvm_slot_join(struct hvt *h, struct tender_err *err)
{
    if (!h->slot.pending)
        return 0;
    h->slot.pending = false;
    if (h->slot.started) {
        pthread_join(h->slot.thread, NULL);
        h->slot.started = false;
    } else {
        hvt_kvm_slot_add(h);
    }
    if (h->slot.rc != 0)
        return tender_err_set(err, "KVM: KVM_SET_USER_MEMORY_REGION: %s",
                strerror(h->slot.error));
    return hvt_kvm_slot_add_later(h, err);
}
