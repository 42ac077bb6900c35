/*
 * hvt_mem_prefault.c: the unikernel's huge pages faulted in by a helper
 * thread while this one creates the VM and loads the image.
 *
 * Guest memory between its first and last 2 MiB is backed by transparent
 * huge pages (hvt_mem.c).  A fresh one is slow to fault in on a host that
 * is itself a VM: the kernel zeroes 2 MiB that the hypervisor below has
 * often not backed yet (~1-2 ms each on the project machine), and loading
 * a 4 MiB unikernel made the loading thread fault two of them in turn
 * (docs/performance.md, "Round 7").  So the helper faults in the huge
 * pages the image will occupy, the last first, while the main thread
 * creates the VM and then reads the image from its start: the two work on
 * different pages and meet in the middle.  MADV_POPULATE_WRITE only
 * faults in what is missing, as zeroes, so it never undoes the loader's
 * writes; it is advice (a kernel without it refuses, and nothing
 * changes).  Images within the first 2 MiB (4 KiB pages, cheap) get no
 * helper.  The helper is joined before the seccomp filter.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "hvt.h"

struct hvt_prefault {
    uint8_t *mem;
    uint64_t start, end;                /* 2 MiB aligned */
    pthread_t thread;
};

static void *hvt_prefault_run(void *arg)
{
    const struct hvt_prefault *p = arg;

    for (uint64_t at = p->end; at > p->start; at -= HVT_MEM_ALIGN)
        (void)madvise(p->mem + at - HVT_MEM_ALIGN, HVT_MEM_ALIGN,
                MADV_POPULATE_WRITE);
    return NULL;
}

/* The huge pages of guest memory that [0, kernel_end) reaches into. */
static bool hvt_prefault_range(const struct hvt *h, uint64_t kernel_end,
        uint64_t *start, uint64_t *end)
{
    uint64_t huge_end = h->mem_size - HVT_MEM_ALIGN;

    *start = HVT_MEM_ALIGN;
    *end = (kernel_end + HVT_MEM_ALIGN - 1) & ~(HVT_MEM_ALIGN - 1);
    if (*end > huge_end)
        *end = huge_end;
    return h->mem_size > 2 * HVT_MEM_ALIGN && *end > *start;
}

void hvt_mem_prefault_start(struct hvt *h, uint64_t kernel_end)
{
    struct hvt_prefault *p;
    uint64_t start, end;

    if (!hvt_prefault_range(h, kernel_end, &start, &end))
        return;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return;
    *p = (struct hvt_prefault){ .mem = h->mem, .start = start, .end = end };
    if (hvt_helper_start(&p->thread, hvt_prefault_run, p) == 0)
        h->prefault = p;
    else
        free(p);
}

void hvt_mem_prefault_join(struct hvt *h)
{
    if (h->prefault == NULL)
        return;
    pthread_join(h->prefault->thread, NULL);
    free(h->prefault);
    h->prefault = NULL;
}
