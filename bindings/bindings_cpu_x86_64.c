/*
 * bindings_cpu_x86_64.c: the x86_64 instructions the shared code and the
 * whole-machine targets (virtio, xen) need.
 */
#include "bindings_cpu_x86_64.h"

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

void bindings_cpu_cpuid(uint32_t leaf, uint32_t regs[4])
{
    __asm__ __volatile__("cpuid"
            : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
            : "a"(leaf), "c"(0));
}

uint64_t bindings_cpu_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

void bindings_cpu_wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ __volatile__("wrmsr"
            :
            : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
            : "memory");
}

void bindings_cpu_pause(void)
{
    __asm__ __volatile__("pause" : : : "memory");
}

void bindings_cpu_switch_stack(uintptr_t top, void (*fn)(void))
{
    /* As if fn had been called: (rsp + 8) % 16 == 0 on entry. */
    __asm__ __volatile__(
            "movq %0, %%rsp\n\t"
            "xorl %%ebp, %%ebp\n\t"
            "pushq $0\n\t"
            "jmp *%1"
            :
            : "r"(top & ~(uintptr_t)15), "r"(fn)
            : "memory");
    __builtin_unreachable();
}
