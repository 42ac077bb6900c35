/*
 * hvt_hypercall_aarch64.c: a hypercall is a 32-bit store of the argument's
 * address to HVT_HYPERCALL_MMIO_ADDRESS(nr), in the device-memory window
 * no RAM backs; the tender handles the exit before the store completes
 * (ref A2.5).  The ring kick is a 32-bit store to HVT_RING_KICK_MMIO.
 *
 * The stores are written out as `str w, [x]`: KVM can decode (and hand to
 * the tender) only a plain single-register store, not one the compiler
 * might pick with writeback or a register pair.
 */
#include "hvt.h"

static void hvt_mmio_write32(uint64_t addr, uint32_t value)
{
    /* The "memory" clobber is the only fence needed: the tender reads and
     * writes the argument while the vCPU is stopped on this instruction. */
    __asm__ __volatile__("str %w0, [%1]"
            :
            : "r"(value), "r"(addr)
            : "memory");
}

void hvt_hypercall(enum hvt_hypercall nr, void *arg)
{
    hvt_mmio_write32(HVT_HYPERCALL_MMIO_ADDRESS(nr),
            (uint32_t)(uintptr_t)arg);
}

void hvt_ring_kick(void)
{
    hvt_mmio_write32(HVT_RING_KICK_MMIO, 0);
}

void hvt_cpu_relax(void)
{
    __asm__ __volatile__("yield" ::: "memory");
}
