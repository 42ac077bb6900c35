/*
 * xen_cpu_x86_64.c: the privileged instructions the xen bindings need
 * (they run at CPL0: a PVH domain is a hardware-virtualised machine).
 */
#include "xen.h"

void xen_cpu_load_cr3(uint64_t cr3)
{
    __asm__ __volatile__("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

void xen_cpu_enable_interrupts(void)
{
    __asm__ __volatile__("sti" : : : "memory");
}

void xen_cpu_block_unless(volatile bool *flag)
{
    /* `sti; hlt` takes an interrupt only once hlt waits: one that arrives
     * after the check still ends the wait. */
    __asm__ __volatile__("cli" : : : "memory");
    if (*flag)
        __asm__ __volatile__("sti" : : : "memory");
    else
        __asm__ __volatile__("sti; hlt" : : : "memory");
}
