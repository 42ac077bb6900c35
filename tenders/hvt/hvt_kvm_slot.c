/*
 * hvt_kvm_slot.c: guest memory's KVM slots, registered on a helper thread,
 * most of them only if the guest touches them.
 *
 * KVM_SET_USER_MEMORY_REGION costs in proportion to the slot's size: with
 * shadow paging (kvm-pvm) KVM allocates and zeroes a reverse map entry for
 * every 4 KiB page, ~1 MiB for the default 512 MiB, 0.5-0.9 ms on the
 * project machine against 55 us for 2 MiB, and frees it again at exit
 * (~0.25 ms; docs/performance.md, "Round 8").  Two things follow:
 *
 *  - Nothing but KVM_RUN needs the slots: creating the vCPU, setting its
 *    registers and CPUID, loading the image (through the tender's own
 *    mapping) do not.  So a helper registers them while this thread does
 *    all of those, and hvt_run() joins it before the seccomp filter, ahead
 *    of the first KVM_RUN.  Without a thread (pthread_create failed) they
 *    are registered at the join.  The I/O rings' slot waits for the join
 *    too: KVM registers one slot at a time, and a second ioctl issued now
 *    would only wait for the helper's.
 *
 *  - Memory on demand (h->mem_on_demand, where hvt_kvm_arch_on_demand()
 *    allows): most unikernels touch their image, the first MiBs of their
 *    heap and their stack, and nothing else of a 512 MiB default.  So only
 *    [0, low_end) (the image and HVT_SLOT_LOW_HEAP of heap) and
 *    [high_start, mem_size) (the stack's 2 MiB) get slots at start; the
 *    guest's first access to the rest finds no slot, and KVM reports it to
 *    the exit handler as MMIO, or, for an instruction its emulator cannot
 *    run (SSE on kvm-pvm), as an emulation failure.  Either way nothing has
 *    happened yet that the guest could see: the handler registers the rest
 *    (hvt_kvm_slot_touch(), hvt_kvm_slot_rest_online()), then completes the
 *    MMIO access from guest memory or runs the instruction again, now
 *    natively.  The guest's page tables map all of its memory throughout.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

#define SLOT_LOW 0
#define SLOT_HIGH 2
#define SLOT_REST 3

/* Heap with a slot from the start, past the image's last 2 MiB page. */
#define HVT_SLOT_LOW_HEAP (8ULL << 20)
/* Memory on demand is worth a slot of its own from this size on. */
#define HVT_SLOT_REST_MIN (32ULL << 20)

static int hvt_kvm_slot_set(const struct hvt *h, uint32_t slot,
        uint64_t gpa, uint64_t end, void *host)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .guest_phys_addr = gpa,
        .memory_size = end - gpa,
        .userspace_addr = (uint64_t)(uintptr_t)host,
    };

    return ioctl(h->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

void hvt_kvm_slot_plan(struct hvt *h, uint64_t kernel_end)
{
    uint64_t low_end, high_start = h->mem_size - HVT_MEM_ALIGN;

    low_end = ((kernel_end + HVT_MEM_ALIGN - 1) & ~(HVT_MEM_ALIGN - 1)) +
        HVT_SLOT_LOW_HEAP;
    h->slot.low_end = h->slot.high_start = h->mem_size;
    if (h->mem_on_demand && kernel_end <= h->mem_size &&
            low_end < high_start && high_start - low_end >= HVT_SLOT_REST_MIN) {
        h->slot.low_end = low_end;
        h->slot.high_start = high_start;
    }
}

static bool hvt_kvm_slot_has_rest(const struct hvt *h)
{
    return h->slot.low_end < h->slot.high_start;
}

/* The slots there are from the start: the helper's work. */
static void *hvt_kvm_slot_add(void *arg)
{
    struct hvt *h = arg;
    struct hvt_kvm_slot *s = &h->slot;

    s->failed = "";
    s->rc = hvt_kvm_slot_set(h, SLOT_LOW, 0, s->low_end, h->mem);
    if (s->rc == 0 && hvt_kvm_slot_has_rest(h)) {
        s->failed = " (guest stack)";
        s->rc = hvt_kvm_slot_set(h, SLOT_HIGH, s->high_start, h->mem_size,
                h->mem + s->high_start);
    }
    s->error = errno;
    return NULL;
}

void hvt_kvm_slot_start(struct hvt *h)
{
    /* Unplanned (a rejected image, a harness), or nothing on demand after
     * all: one slot for all of guest memory. */
    if (h->slot.low_end == 0 ||
            (hvt_kvm_slot_has_rest(h) && !hvt_kvm_arch_on_demand(h)))
        h->slot.low_end = h->slot.high_start = h->mem_size;
    h->slot.started = hvt_helper_start(&h->slot.thread, hvt_kvm_slot_add,
            h) == 0;
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
    if (hvt_kvm_slot_set(h, 1, l->gpa, l->gpa + l->size, l->host) != 0)
        return tender_err_set(err, "KVM: KVM_SET_USER_MEMORY_REGION (%s): "
                "%s", l->what, strerror(errno));
    h->slot.later.size = 0;
    return 0;
}

int hvt_kvm_slot_join(struct hvt *h, struct tender_err *err)
{
    /* Once, from hvt_run(): hvt_kvm_init() started it. */
    if (h->slot.started)
        pthread_join(h->slot.thread, NULL);
    else
        hvt_kvm_slot_add(h);
    if (h->slot.rc != 0)
        return tender_err_set(err, "KVM: KVM_SET_USER_MEMORY_REGION%s: %s",
                h->slot.failed, strerror(h->slot.error));
    return hvt_kvm_slot_add_later(h, err);
}

int hvt_kvm_slot_rest_online(struct hvt *h, struct tender_err *err)
{
    struct hvt_kvm_slot *s = &h->slot;

    if (!hvt_kvm_slot_has_rest(h) || s->rest_online)
        return 0;
    if (hvt_kvm_slot_set(h, SLOT_REST, s->low_end, s->high_start,
                h->mem + s->low_end) != 0)
        return tender_err_set(err, "KVM: KVM_SET_USER_MEMORY_REGION (guest "
                "memory [%#llx, %#llx), on its first use): %s",
                (unsigned long long)s->low_end,
                (unsigned long long)s->high_start, strerror(errno));
    s->rest_online = true;
    return 1;
}

int hvt_kvm_slot_touch(struct hvt *h, uint64_t gpa, uint64_t len,
        struct tender_err *err)
{
    const struct hvt_kvm_slot *s = &h->slot;

    /* Written as subtractions so that no sum can wrap. */
    if (!hvt_kvm_slot_has_rest(h) || gpa < s->low_end ||
            gpa >= s->high_start || len > s->high_start - gpa)
        return 0;
    /* Online already: one more piece of an access that KVM took for MMIO
     * before the slot was there (it splits them at 8 bytes and at pages). */
    return hvt_kvm_slot_rest_online(h, err) < 0 ? -1 : 1;
}
