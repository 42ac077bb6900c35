/*
 * spt_start.c: entry point of an spt unikernel and the platform basics.
 *
 * The tender jumps to _start with RSP = mem_size - 8 (as if called) and the
 * boot info address (SPT_BOOT_INFO_BASE) as the first argument.
 */
#include "spt.h"

/* Everything after the canary is set runs in here, so that no frame that
 * was protected with the link-time canary ever returns. */
static void spt_main(const struct spt_boot_info *bi)
    BINDINGS_NORETURN __attribute__((noinline));

void _start(struct spt_boot_info *bi)
{
    bindings_ssp_init();
    /* Any accidental TLS use now faults in the unmapped zero page. */
    platform_set_tls_base(0);
    spt_main(bi);
}

static void spt_main(const struct spt_boot_info *bi)
{
    const struct mft *mft = bi->mft;
    struct bindings_heap heap;
    const char *cmdline;

    bindings_mft_init(mft);
    spt_yield_init(bi, mft);
    cmdline = bindings_cmdline_parse(bi->cmdline);
    bindings_banner();
    bindings_mem_init(bi->mem_size, BINDINGS_PAGE_SIZE, &heap);
    bindings_run_app(cmdline, &heap);
}

void platform_console_write(const char *buf, size_t size)
{
    while (size > 0) {
        long n = spt_sys_write(1, buf, size);

        if (n == -SPT_EINTR)
            continue;
        if (n <= 0)
            return; /* best effort */
        buf += n;
        size -= (size_t)n;
    }
}

void platform_exit(int status, void *cookie)
{
    (void)cookie; /* a core dump is the host's business on spt */
    spt_sys_exit_group(status);
}

bool platform_set_tls_base(uintptr_t base)
{
    return spt_sys_set_tls_base(base) == 0;
}

static solo5_time_t spt_clock(int clock)
{
    struct spt_timespec ts;

    if (spt_sys_clock_gettime(clock, &ts) != 0)
        BINDINGS_PANIC("clock_gettime(%d) failed", clock);
    return (solo5_time_t)ts.tv_sec * SPT_NSEC_PER_SEC + (solo5_time_t)ts.tv_nsec;
}

solo5_time_t solo5_clock_monotonic(void)
{
    return spt_clock(SPT_CLOCK_MONOTONIC);
}

solo5_time_t solo5_clock_wall(void)
{
    return spt_clock(SPT_CLOCK_REALTIME);
}
