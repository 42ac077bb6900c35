/*
 * bindings_start.c: the start-up steps every target shares, in the order a
 * target's _start calls them: banner, memory map and heap, the application.
 */
#include "bindings.h"

/* Symbols of the linker script (solo5_<target>.lds). */
extern char _stext[], _etext[], _erodata[], _end[];

#ifndef SOLO5_VERSION
#error "SOLO5_VERSION must be passed by the build (-DSOLO5_VERSION=...)"
#endif

void bindings_banner(void)
{
    bindings_log(BINDINGS_LOG_INFO,
            "           _       ___\n"
            "  ___ ___ | | ___ | __|\n"
            " (_-</ _ \\| |/ _ \\|__ \\\n"
            " /__/\\___/|_|\\___/|___/\n");
    bindings_log(BINDINGS_LOG_INFO, "Solo5: Bindings version %s\n",
            SOLO5_VERSION);
}

void bindings_mem_init(uint64_t mem_size, uintptr_t heap_align,
        struct bindings_heap *heap)
{
    uintptr_t stext = (uintptr_t)_stext, etext = (uintptr_t)_etext;
    uintptr_t erodata = (uintptr_t)_erodata, end = (uintptr_t)_end;
    uintptr_t heap_start = bindings_align_up(end, BINDINGS_PAGE_SIZE);
    uintptr_t aligned = bindings_align_up(end, heap_align);

    if (mem_size < heap_start || mem_size - end < BINDINGS_MIN_FREE_MEMORY)
        BINDINGS_PANIC("Not enough memory");
    if (aligned < mem_size && aligned - heap_start <= (mem_size - heap_start) / 8)
        heap_start = aligned;

    bindings_log(BINDINGS_LOG_INFO, "Solo5: Memory map: %llu MB addressable:\n",
            (unsigned long long)(mem_size >> 20));
    bindings_log(BINDINGS_LOG_INFO, "Solo5:   reserved @ (0x0 - 0x%lx)\n",
            (unsigned long)(stext - 1));
    bindings_log(BINDINGS_LOG_INFO, "Solo5:       text @ (0x%lx - 0x%lx)\n",
            (unsigned long)stext, (unsigned long)(etext - 1));
    bindings_log(BINDINGS_LOG_INFO, "Solo5:     rodata @ (0x%lx - 0x%lx)\n",
            (unsigned long)etext, (unsigned long)(erodata - 1));
    bindings_log(BINDINGS_LOG_INFO, "Solo5:       data @ (0x%lx - 0x%lx)\n",
            (unsigned long)erodata, (unsigned long)(end - 1));
    bindings_log(BINDINGS_LOG_INFO,
            "Solo5:       heap >= 0x%lx < stack < 0x%llx\n",
            (unsigned long)heap_start, (unsigned long long)mem_size);

    heap->start = heap_start;
    heap->size = mem_size - heap_start;
}

void bindings_run_app(const char *cmdline, const struct bindings_heap *heap)
{
    /* Static, as solo5.h promises: the app may keep the pointer. */
    static struct solo5_start_info si;

    si.cmdline = cmdline;
    si.heap_start = heap->start;
    si.heap_size = heap->size;
    solo5_exit(solo5_app_main(&si));
}
