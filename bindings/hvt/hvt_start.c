/*
 * hvt_start.c: entry point of an hvt unikernel and the platform basics.
 *
 * The tender starts the vCPU at _start in 64-bit mode with its own boot GDT
 * and page tables, RSP = mem_size - 8 (as if called), interrupts off and
 * the boot info address (HVT_BOOT_INFO_BASE) as the first argument; or, on
 * x86_64, at CPL3 with our own tables (hvt_entry_x86_64.c).  The entry
 * (hvt_entry_<arch>.c) sets the CPU up and calls hvt_main(): if the tender
 * maps guest memory user-accessible, everything in there (boot messages,
 * manifest, application) runs at CPL3.
 */
#include "hvt.h"

/* The canary is set first thing in here and never returns, so that no
 * frame that was protected with the link-time canary returns after it
 * changed (the entry points call this last). */
void hvt_main(const struct hvt_boot_info *bi)
{
    struct bindings_heap heap;
    const char *cmdline;
    bool rings;

    /* At CPL3 when the tender offers it: rdtsc runs natively there. */
    bindings_ssp_init();

    /* Upstream's RING_IO (bit 0) is never used; our own I/O rings live in
     * the tender's area beyond mem_size, so unikernels still run in
     * --mem=2. */
    bindings_mft_init(bi->mft);
    cmdline = bindings_cmdline_parse(bi->cmdline);
    hvt_clock_init(bi->cpu_cycle_freq);
    /* Before the banner: console output goes through the rings too. */
    rings = hvt_ring_init(bi);
    bindings_banner();
    if (hvt_cpu_user_started())
        bindings_log(BINDINGS_LOG_DEBUG, "Solo5: hvt: started at CPL3\n");
    if (rings)
        bindings_log(BINDINGS_LOG_DEBUG, "Solo5: hvt: I/O rings in use\n");
    bindings_mem_init(bi->mem_size, HVT_HEAP_ALIGN, &heap);
    hvt_readahead_init(&heap);
    bindings_run_app(cmdline, &heap);
}

void platform_console_write(const char *buf, size_t size)
{
    struct hvt_hc_puts puts = { .data = buf, .len = size };

    if (hvt_ring_console_write(buf, size))
        return;
    hvt_hypercall(HVT_HYPERCALL_PUTS, &puts);
}

void platform_exit(int status, void *cookie)
{
    struct hvt_hc_halt halt = { .cookie = cookie, .exit_status = status };

    /* Frames still in the TX rings: the tender sends them before it exits
     * (hvt_ring_drain() in tenders/hvt/hvt_ring.c). */
    hvt_hypercall(HVT_HYPERCALL_HALT, &halt);
    /* The tender never resumes a halted guest. */
    hvt_cpu_halt();
}

bool platform_set_tls_base(uintptr_t base)
{
    hvt_cpu_set_tls_base(base);
    return true;
}

solo5_time_t solo5_clock_wall(void)
{
    struct hvt_hc_walltime wt = { 0 };

    hvt_hypercall(HVT_HYPERCALL_WALLTIME, &wt);
    return wt.nsecs;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    struct hvt_hc_poll poll = { 0 };
    solo5_time_t now;
    uint64_t set;

    if (hvt_ring_active() && hvt_ring_yield(deadline, &set)) {
        if (ready_set != NULL)
            *ready_set = set;
        return;
    }
    /* POLL may end before the deadline with nothing ready (solo5-hvt-debug
     * ends it when the debugger interrupts the guest): poll again, as
     * solo5_yield() returns only at the deadline or with input. */
    do {
        now = solo5_clock_monotonic();
        /* The host wants a relative timeout; a past deadline polls once. */
        poll.timeout_nsecs = deadline > now ? deadline - now : 0;
        hvt_hypercall(HVT_HYPERCALL_POLL, &poll);
    } while (poll.ready_set == 0 && solo5_clock_monotonic() < deadline);
    if (hvt_ring_active())
        hvt_ring_yield_adapt(poll.ready_set != 0);
    if (ready_set != NULL)
        *ready_set = poll.ready_set;
}
