/*
 * hvt_clock.c: the monotonic clock, from the TSC.
 *
 * ns = tsc * mult >> shift, with a 32-bit mult chosen as precise as it can
 * be for the TSC frequency the tender measured (boot info cpu_cycle_freq).
 * The origin is the TSC's own zero, not the guest's start.
 */
#include "hvt.h"

#define NSEC_PER_SEC 1000000000ULL

static uint32_t tsc_mult;
static unsigned tsc_shift;

void hvt_clock_init(uint64_t cpu_cycle_freq)
{
    unsigned shift = 32;

    if (cpu_cycle_freq == 0)
        BINDINGS_PANIC("TSC frequency is 0");
    /* 1e9 < 2^30, so NSEC_PER_SEC << 32 still fits in 64 bits. */
    while (shift > 0 && (NSEC_PER_SEC << shift) / cpu_cycle_freq > UINT32_MAX)
        shift--;
    if ((NSEC_PER_SEC << shift) / cpu_cycle_freq > UINT32_MAX)
        BINDINGS_PANIC("TSC frequency %llu Hz is too low",
                (unsigned long long)cpu_cycle_freq);
    tsc_mult = (uint32_t)((NSEC_PER_SEC << shift) / cpu_cycle_freq);
    tsc_shift = shift;
}

solo5_time_t solo5_clock_monotonic(void)
{
    unsigned __int128 product = (unsigned __int128)bindings_cpu_cycles() * tsc_mult;

    return (solo5_time_t)(product >> tsc_shift);
}
