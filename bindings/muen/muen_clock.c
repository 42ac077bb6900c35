/*
 * muen_clock.c: both clocks from the TSC.  Its rate comes from the time
 * information page (the subject information page's TSC kHz as a
 * fallback); wall time adds the TSC time base the kernel publishes there.
 */
#include "muen.h"

#define NSEC_PER_SEC 1000000000ULL

static uint32_t tsc_mult;
static unsigned tsc_shift;

static const volatile struct muen_time_info *time_info(void)
{
    return (const volatile struct muen_time_info *)(uintptr_t)MUEN_TIME_INFO_BASE;
}

void muen_clock_init(void)
{
    uint64_t hz = 0;
    unsigned shift = 32;

    if (time_info()->tsc_tick_rate_hz > 0)
        hz = (uint64_t)time_info()->tsc_tick_rate_hz;
    else if (muen_sinfo()->magic == MUEN_SINFO_MAGIC)
        hz = muen_sinfo()->tsc_khz * 1000;
    if (hz == 0)
        BINDINGS_PANIC("no TSC rate in the time or subject information page");
    while (shift > 0 && (NSEC_PER_SEC << shift) / hz > UINT32_MAX)
        shift--;
    tsc_mult = (uint32_t)((NSEC_PER_SEC << shift) / hz);
    tsc_shift = shift;
}

solo5_time_t solo5_clock_monotonic(void)
{
    unsigned __int128 product = (unsigned __int128)bindings_cpu_cycles() * tsc_mult;

    return (solo5_time_t)(product >> tsc_shift);
}

solo5_time_t solo5_clock_wall(void)
{
    return time_info()->tsc_time_base * 1000 + solo5_clock_monotonic();
}

/* A writer epoch: any non-zero value that differs from boot to boot. */
uint64_t muen_epoch(void)
{
    return bindings_cpu_cycles() | 1;
}
