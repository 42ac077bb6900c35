/*
 * xen_start.c: start-up of a xen unikernel and the platform basics
 * (exit, TLS).
 *
 * _start() runs on the boot stack with the boot page tables
 * (xen_boot_x86_64.S).  It takes what it needs from the start info before
 * anything overwrites it (Xen puts it, and the command line, right after
 * the image, where the page tables go), finds Xen and the memory size,
 * switches to the final page tables, sets up the console, shared_info and
 * the LAPIC, and moves the stack to the top of memory, as on hvt.
 */
#include "xen.h"

#define XEN_CMDLINE_SIZE 8192

/* The manifest elftool generated; weak, so that the bindings object needs
 * nothing but solo5_app_main, and a missing manifest is a clear abort. */
extern const uint8_t __solo5_mft1_note[] __attribute__((weak));
extern char _end[];

static char cmdline[XEN_CMDLINE_SIZE];
static bool cmdline_truncated;
static uint64_t mem_size;

static void xen_main(void) BINDINGS_NORETURN __attribute__((noinline));

static void cmdline_copy(const struct hvm_start_info *si)
{
    const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
    size_t i = 0;

    if (src == NULL)
        return;
    while (src[i] != '\0' && i < sizeof(cmdline) - 1) {
        cmdline[i] = src[i];
        i++;
    }
    cmdline[i] = '\0';
    cmdline_truncated = src[i] != '\0';
}

void _start(const struct hvm_start_info *si)
{
    uintptr_t image_end = bindings_align_up((uintptr_t)_end,
            BINDINGS_PAGE_SIZE);

    bindings_ssp_init();
    /* Any accidental TLS use now faults in the unmapped zero page. */
    hvt_cpu_set_tls_base(0);
    hvt_cpu_init(false); /* the domain is ours: CPL0 */
    /* Not Xen: no console to say so on. */
    if (!xen_hypercall_init())
        bindings_cpu_halt();
    /* From here on, messages go to Xen's console (console_io). */
    cmdline_copy(si);
    mem_size = xen_memory_size(si);
    if (mem_size < image_end || mem_size - image_end <
            xen_pagetable_size() + BINDINGS_MIN_FREE_MEMORY)
        BINDINGS_PANIC("Not enough memory (0x%llx bytes of RAM)",
                (unsigned long long)mem_size);
    xen_pagetable_init();
    xen_console_init();
    xen_shared_info_init();
    xen_lapic_init();
    bindings_cpu_switch_stack(mem_size, xen_main);
}

static void console_report(void)
{
    xen_console_report();
    if (cmdline_truncated)
        bindings_log(BINDINGS_LOG_WARN,
                "Solo5: warning: command line too long, truncated\n");
}

static void xen_main(void)
{
    struct bindings_heap heap;
    size_t mft_size, pagetable_size = xen_pagetable_size();
    const char *args = bindings_cmdline_parse(cmdline);

    bindings_banner();
    console_report();
    /* No devices to attach: checked, and kept as the linker left it. */
    (void)bindings_mft_builtin(__solo5_mft1_note, &mft_size);
    bindings_mem_init(mem_size, BINDINGS_PAGE_SIZE, &heap);
    /* The page tables are the first pages after the image. */
    heap.start += pagetable_size;
    heap.size -= pagetable_size;
    bindings_log(BINDINGS_LOG_DEBUG,
            "Solo5: xen: page tables @ (0x%lx - 0x%lx)\n",
            (unsigned long)(heap.start - pagetable_size),
            (unsigned long)(heap.start - 1));
    xen_evtchn_init();
    xen_clock_init();
    xen_cpu_enable_interrupts();
    bindings_run_app(args, &heap);
}

/*
 * Xen's shutdown reasons cannot hold the status: 0..254 power the domain
 * off and 255 (aborts, traps) crashes it, as upstream.  The status itself
 * is the last line on the console, whatever the log level, so that a
 * runner (tests/xen) reads it: "Solo5: exit status N".
 */
void platform_exit(int status, void *cookie)
{
    struct sched_shutdown shutdown = {
        .reason = status == SOLO5_EXIT_ABORT ? SHUTDOWN_crash
            : SHUTDOWN_poweroff,
    };
    char line[32];
    int n;

    (void)cookie;
    n = bindings_snprintf(line, sizeof(line), "Solo5: exit status %d\n",
            status);
    if (n > 0 && (size_t)n < sizeof(line))
        platform_console_write(line, (size_t)n);
    (void)xen_hypercall_sched_op(SCHEDOP_shutdown, &shutdown);
    bindings_log(BINDINGS_LOG_ERROR, "Solo5: Halted\n");
    bindings_cpu_halt();
}

bool platform_set_tls_base(uintptr_t base)
{
    hvt_cpu_set_tls_base(base);
    return true;
}
