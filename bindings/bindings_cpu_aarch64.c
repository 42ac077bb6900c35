/*
 * bindings_cpu_aarch64.c: the few aarch64 instructions the shared code
 * needs.
 */
#include "bindings.h"

uint64_t bindings_cpu_cycles(void)
{
    uint64_t v;

    /* The isb keeps the read from being taken ahead of earlier
     * instructions (two reads in a row are then ordered). */
    __asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

void bindings_cpu_halt(void)
{
    for (;;)
        __asm__ __volatile__("msr daifset, #0xf\n\twfi");
}
