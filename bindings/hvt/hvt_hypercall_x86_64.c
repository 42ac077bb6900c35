/*
 * hvt_hypercall_x86_64.c: a hypercall is a 32-bit `outl` of the argument's
 * address to port HVT_HYPERCALL_PIO_BASE + nr; the tender handles it
 * before the instruction completes.  The ring kick is an `outl` to
 * HVT_RING_KICK_PORT (any value).
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

void hvt_ring_kick(void)
{
    __asm__ __volatile__("outl %0, %1"
            :
            : "a"(0U), "d"((uint16_t)HVT_RING_KICK_PORT)
            : "memory");
}

void hvt_cpu_relax(void)
{
    __asm__ __volatile__("pause" ::: "memory");
}
