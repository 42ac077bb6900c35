/*
 * spt_mem.c: guest memory, segment protections and the boot info.
 *
 * Guest memory is one private anonymous mapping of [SPT_HOST_MEM_BASE,
 * mem_size) at identical host addresses: the guest's pointers are the
 * tender's.  [0, SPT_HOST_MEM_BASE) stays unmapped so that NULL faults.
 * The page(s) holding the boot info, manifest copy and command line are
 * made read-only once written (upstream leaves them writable).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "spt.h"
#include "spt_abi.h"

/* Start of the tender's own image, from the linker. */
extern const char __executable_start[];

int spt_mem_size(uint64_t mib, uint64_t *bytes, struct tender_err *err)
{
    uint64_t tender_base = (uint64_t)(uintptr_t)__executable_start;

    *bytes = mib << 20;
    /* The guest range must lie below the tender (PIE: loaded high). */
    if (*bytes > tender_base)
        return tender_err_set(err, "Maximum guest memory size (%llu MB) "
                "exceeded: the tender itself is loaded at %#llx; decrease "
                "--mem", (unsigned long long)(tender_base >> 20),
                (unsigned long long)tender_base);
    return 0;
}

int spt_mem_setup(struct tender *t, uint64_t bytes, struct tender_err *err)
{
    int prot = PROT_READ | PROT_WRITE | (spt_of(t)->exec_heap ? PROT_EXEC : 0);
    void *want = (void *)(uintptr_t)SPT_HOST_MEM_BASE;
    void *p;

    p = mmap(want, bytes - SPT_HOST_MEM_BASE, prot,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return tender_err_set(err, "Could not allocate guest memory "
                "[%#llx, %#llx): %s", (unsigned long long)SPT_HOST_MEM_BASE,
                (unsigned long long)bytes, errno == EEXIST ?
                "the range is already in use in the tender" : strerror(errno));
    if (p != want) {
        /* A kernel without MAP_FIXED_NOREPLACE treats it as a hint. */
        munmap(p, bytes - SPT_HOST_MEM_BASE);
        return tender_err_set(err, "Could not allocate guest memory at "
                "%#llx: the kernel placed it elsewhere",
                (unsigned long long)SPT_HOST_MEM_BASE);
    }
    t->mem.host = p;
    t->mem.base = SPT_HOST_MEM_BASE;
    t->mem.size = bytes;
    t->mem.min_load = SPT_GUEST_MIN_BASE;
    return 0;
}

int spt_protect(void *ctx, uint64_t gpa, uint64_t size, uint32_t pf_flags,
        struct tender_err *err)
{
    int prot = PROT_NONE;

    (void)ctx;
    if (pf_flags & PF_R)
        prot |= PROT_READ;
    if (pf_flags & PF_W)
        prot |= PROT_WRITE;
    if (pf_flags & PF_X)
        prot |= PROT_EXEC;
    if (mprotect((void *)(uintptr_t)gpa, size, prot) != 0)
        return tender_err_set(err, "mprotect of guest [%#llx, +%#llx) "
                "failed: %s", (unsigned long long)gpa,
                (unsigned long long)size, strerror(errno));
    return 0;
}

/* The epoll fd the guest waits on: the timer plus every network device. */
static int spt_epoll_setup(struct tender *t, struct tender_err *err)
{
    struct spt *spt = spt_of(t);
    struct epoll_event ev = { .events = EPOLLIN };

    spt->epollfd = epoll_create1(EPOLL_CLOEXEC);
    if (spt->epollfd < 0)
        return tender_err_set(err, "epoll_create1: %s", strerror(errno));
    spt->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (spt->timerfd < 0)
        return tender_err_set(err, "timerfd_create: %s", strerror(errno));
    ev.data.u64 = SPT_INTERNAL_TIMERFD;
    if (epoll_ctl(spt->epollfd, EPOLL_CTL_ADD, spt->timerfd, &ev) != 0)
        return tender_err_set(err, "epoll_ctl(timerfd): %s", strerror(errno));
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];

        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        ev.data.u64 = i;
        if (epoll_ctl(spt->epollfd, EPOLL_CTL_ADD, e->b.hostfd, &ev) != 0)
            return tender_err_set(err, "%s: epoll_ctl: %s", e->name,
                    strerror(errno));
    }
    return 0;
}

int spt_boot_info(struct tender *t, struct tender_err *err)
{
    struct spt *spt = spt_of(t);
    uint64_t bi_addr = SPT_BOOT_INFO_BASE;
    uint64_t mft_addr = bi_addr + sizeof(struct spt_boot_info);
    uint64_t cmd_addr = mft_addr + t->mft_size;
    uint64_t end = cmd_addr + SPT_CMDLINE_SIZE;
    uint64_t ro_start = SPT_HOST_MEM_BASE;
    uint64_t ro_end = (end + TENDER_PAGE_SIZE - 1) & ~(uint64_t)(TENDER_PAGE_SIZE - 1);
    struct spt_boot_info *bi = (void *)(uintptr_t)bi_addr;

    if (ro_end > t->mem.min_load)
        return tender_err_set(err, "boot info does not fit below %#llx",
                (unsigned long long)t->mem.min_load);
    if (spt_epoll_setup(t, err) != 0)
        return -1;
    memcpy((void *)(uintptr_t)mft_addr, t->mft, t->mft_size);
    strcpy((char *)(uintptr_t)cmd_addr, t->cmdline);
    bi->mem_size = t->mem.size;
    bi->kernel_end = t->kernel_end;
    bi->cmdline = (const char *)(uintptr_t)cmd_addr;
    bi->mft = (const void *)(uintptr_t)mft_addr;
    bi->epollfd = spt->epollfd;
    bi->timerfd = spt->timerfd;
    spt->boot_info_end = ro_end;
    if (mprotect((void *)(uintptr_t)ro_start, ro_end - ro_start,
                PROT_READ) != 0)
        return tender_err_set(err, "mprotect of the boot info failed: %s",
                strerror(errno));
    return 0;
}
