/*
 * bindings_cpu_x86_64.c: the few x86_64 instructions the shared code needs.
 */
#include "bindings.h"

uint64_t bindings_cpu_cycles(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void bindings_cpu_halt(void)
{
    for (;;)
        __asm__ __volatile__("cli; hlt");
}
