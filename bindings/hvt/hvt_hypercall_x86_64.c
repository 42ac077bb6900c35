/*
 * hvt_hypercall_x86_64.c: a hypercall is a 32-bit `outl` of the argument's
 * address to port HVT_HYPERCALL_PIO_BASE + nr; the tender handles it
 * before the instruction completes.
 */
#include "hvt.h"

void hvt_hypercall(enum hvt_hypercall nr, void *arg)
{
    /* The "memory" clobber is the only fence needed: the tender reads and
     * writes *arg while the vCPU is stopped on this instruction. */
    __asm__ __volatile__("outl %0, %1"
            :
            : "a"((uint32_t)(uintptr_t)arg),
              "d"((uint16_t)HVT_HYPERCALL_ADDRESS(nr))
            : "memory");
}
