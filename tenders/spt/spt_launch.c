/*
 * spt_launch.c: entering the guest with nothing of the tender left.
 *
 * The guest runs in this process, so whatever the tender leaves mapped or
 * in registers is the guest's to read: the review's hostile guest followed
 * the FS base (glibc's thread block) to the tender's argv and environment,
 * and a guest can tell mapped from unmapped memory with any system call the
 * filter allows (EFAULT), so ASLR alone hides nothing.  Hence, after the
 * last line of C:
 *
 *   - the launch code (spt_launch_code_<arch>.S) runs from a copy in the guest
 *     page below SPT_GUEST_MIN_BASE, and the launch block it reads (the
 *     entry, what to unmap, the filters as BPF, the architecture's reset
 *     state) lies in guest memory right above the boot info;
 *   - it clears the FS and GS bases, unmaps [0, SPT_HOST_MEM_BASE) and
 *     everything from the end of guest memory up: the tender's image,
 *     libc, heap, stack (argv, environment, auxv), vDSO;
 *   - installs the filters, resets the vector registers, zeroes the block
 *     and jumps.
 *
 * Before that, spt_launch_detach() takes back from the kernel the pointers
 * into the tender it was given (glibc's rseq area, robust futex list,
 * clear-child-tid): the kernel writes the rseq area on preemption, which
 * once unmapped would kill the guest.  What the guest can still see:
 * docs/security.md.  The launch code page stays (read + execute, public
 * code); the block ends zeroed, as the memory was.
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/futex.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spt.h"
#include "spt_abi.h"
#include "spt_launch.h"

#define PAGE ((uint64_t)TENDER_PAGE_SIZE)
#define LAUNCH_CODE_PAGE (SPT_GUEST_MIN_BASE - PAGE)
#define FAIL_MSG "solo5-spt: entering the guest failed: clearing the " \
    "FS/GS bases, unmapping the tender or installing its filters failed\n"

struct spt_launch {
    uint64_t mem_top;
    uint64_t entry;
    uint64_t boot_info;
    uint64_t unmap[SPT_LAUNCH_N_UNMAP][2];
    uint64_t filters[SPT_LAUNCH_N_FILTERS];
    uint64_t wipe[2];
    uint64_t fail[2];
    struct sock_fprog fprog[SPT_LAUNCH_N_FILTERS];
    char fail_msg[sizeof(FAIL_MSG)];
    uint8_t arch[SPT_LAUNCH_ARCH_SIZE] __attribute__((aligned(64)));
};

_Static_assert(offsetof(struct spt_launch, mem_top) == SPT_LAUNCH_MEM_TOP &&
        offsetof(struct spt_launch, entry) == SPT_LAUNCH_ENTRY &&
        offsetof(struct spt_launch, boot_info) == SPT_LAUNCH_BOOT_INFO &&
        offsetof(struct spt_launch, unmap) == SPT_LAUNCH_UNMAP &&
        offsetof(struct spt_launch, filters) == SPT_LAUNCH_FILTERS &&
        offsetof(struct spt_launch, wipe) == SPT_LAUNCH_WIPE &&
        offsetof(struct spt_launch, fail) == SPT_LAUNCH_FAIL &&
        offsetof(struct spt_launch, arch) == SPT_LAUNCH_ARCH &&
        sizeof(struct spt_launch) == SPT_LAUNCH_SIZE,
        "spt_launch.h must describe struct spt_launch");

/* The launch code, in the tender's text (spt_launch_code_<arch>.S). */
extern const char spt_launch_code[], spt_launch_code_end[];

static uint64_t page_up(uint64_t x)
{
    return (x + PAGE - 1) & ~(PAGE - 1);
}

/* Copies the launch code to its guest page and makes that read + exec. */
static int launch_code_place(struct tender_err *err)
{
    size_t size = (size_t)(spt_launch_code_end - spt_launch_code);
    void *page = (void *)(uintptr_t)LAUNCH_CODE_PAGE;

    if (size > PAGE)
        return tender_err_set(err, "the launch code (%zu bytes) exceeds a "
                "page", size);
    memcpy(page, spt_launch_code, size);
    /* Instruction fetch must see the copy (aarch64: clean + invalidate). */
    __builtin___clear_cache((char *)page, (char *)page + size);
    if (mprotect(page, PAGE, PROT_READ | PROT_EXEC) != 0)
        return tender_err_set(err, "mprotect of the launch code page "
                "failed: %s", strerror(errno));
    return 0;
}

struct spt_launch *spt_launch_prepare(struct tender *t,
        struct sock_filter **insns, size_t max_insns, struct tender_err *err)
{
    uint64_t base = page_up(spt_of(t)->boot_info_end);
    uint64_t filters = base + page_up(sizeof(struct spt_launch));
    uint64_t end = filters + SPT_LAUNCH_N_FILTERS * max_insns *
        sizeof(struct sock_filter);
    struct spt_launch *l = (struct spt_launch *)(uintptr_t)base;

    if (end > LAUNCH_CODE_PAGE)
        return tender_err_set(err, "the launch block does not fit below "
                "%#llx", (unsigned long long)LAUNCH_CODE_PAGE), NULL;
    if (launch_code_place(err) != 0)
        return NULL;
    memset(l, 0, sizeof(*l));
    l->mem_top = t->mem.size;
    l->entry = t->entry;
    l->boot_info = SPT_BOOT_INFO_BASE;
    l->unmap[0][0] = 0;
    l->unmap[0][1] = SPT_HOST_MEM_BASE;
    l->unmap[1][0] = t->mem.size;
    l->unmap[1][1] = spt_launch_user_top() - t->mem.size;
    l->wipe[0] = base;
    l->wipe[1] = end - base;
    memcpy(l->fail_msg, FAIL_MSG, sizeof(FAIL_MSG));
    l->fail[0] = (uint64_t)(uintptr_t)l->fail_msg;
    l->fail[1] = sizeof(FAIL_MSG) - 1;
    for (unsigned i = 0; i < SPT_LAUNCH_N_FILTERS; i++)
        insns[i] = (struct sock_filter *)(uintptr_t)(filters +
                i * max_insns * sizeof(struct sock_filter));
    spt_launch_arch_setup(l->arch);
    return l;
}

void spt_launch_set_filters(struct spt_launch *l,
        const struct sock_fprog *first, const struct sock_fprog *second)
{
    const struct sock_fprog *in_order[SPT_LAUNCH_N_FILTERS] = { first, second };

    for (unsigned i = 0; i < SPT_LAUNCH_N_FILTERS; i++) {
        l->fprog[i] = *in_order[i];
        l->filters[i] = in_order[i]->len > 0 ?
            (uint64_t)(uintptr_t)&l->fprog[i] : 0;
    }
}

/* glibc registers its rseq area with the length of its struct rseq_area
 * (32 bytes up to 2.39), later ones with __rseq_size: try both. */
static int launch_rseq_unregister(struct tender_err *err)
{
    void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
    unsigned lengths[] = { __rseq_size, sizeof(struct rseq) };
    long rc = -1;

    if (__rseq_size == 0)
        return 0;               /* glibc did not register one */
    for (unsigned i = 0; rc != 0 && i < 2; i++)
        rc = syscall(SYS_rseq, area, lengths[i], RSEQ_FLAG_UNREGISTER,
                RSEQ_SIG);
    if (rc != 0 && errno != ENOSYS)
        return tender_err_set(err, "unregistering glibc's rseq area: %s",
                strerror(errno));
    return 0;
}

int spt_launch_detach(struct tender_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return tender_err_set(err, "prctl(PR_SET_NO_NEW_PRIVS): %s",
                strerror(errno));
    if (launch_rseq_unregister(err) != 0)
        return -1;
    if (syscall(SYS_set_robust_list, NULL, sizeof(struct robust_list_head))
            != 0)
        return tender_err_set(err, "set_robust_list: %s", strerror(errno));
    syscall(SYS_set_tid_address, NULL);
    return 0;
}

/* gdb's thread layer (libthread_db) reads glibc's thread block through the
 * FS base: both are gone once the guest runs, and gdb then loses the
 * thread ("Cannot find user-level thread").  Tell a debugger's user. */
void spt_launch_debugger_hint(struct tender *t)
{
    char line[128];
    FILE *f;

    if (spt_of(t)->dump_dir != NULL)
        return;                 /* the tracer is our own (--dumpcore) */
    f = fopen("/proc/self/status", "re");
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "TracerPid:", 10) == 0 && atoi(line + 10) != 0)
            tender_warn(t, "a debugger is attached: the tender unmaps its "
                    "own libraries before the guest runs; gdb keeps the "
                    "thread with `set libthread-db-search-path \"\"` "
                    "(docs/debugging.md)");
    }
    fclose(f);
}

/* The tender's last function (gdb's `break spt_launch`, docs/debugging.md):
 * from here on only the copied launch code runs. */
void spt_launch(struct spt_launch *l)
{
    void (*code)(struct spt_launch *) =
        (void (*)(struct spt_launch *))(uintptr_t)LAUNCH_CODE_PAGE;

    code(l);
    __builtin_unreachable();
}
