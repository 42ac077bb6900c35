/*
 * hvt_bench.c: a unikernel that times, from inside the guest, what CPL3
 * changes for hvt (docs/performance.md, "CPL3"):
 *
 *   hvt_bench LOOP_ITERATIONS HYPERCALLS
 *
 * prints the ns per iteration of a `dec; jnz` loop, the µs per WALLTIME
 * hypercall round trip (solo5_clock_wall) and per POLL with a past
 * deadline (solo5_yield), timed with solo5_clock_monotonic.  Build with the
 * staged toolchain (see README.md here); run it on solo5-hvt (CPL3) and on
 * build/tests/unit/hvt_cpl0_tender (CPL0, as on an upstream tender).
 */
#include "solo5.h"

static void put(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    solo5_console_write(s, n);
}

/* v / 1000 with three decimals. */
static void put_milli(uint64_t v)
{
    char buf[32];
    int i = sizeof(buf);

    buf[--i] = '\0';
    for (int d = 0; d < 3; d++, v /= 10)
        buf[--i] = (char)('0' + v % 10);
    buf[--i] = '.';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(&buf[i]);
}

static uint64_t parse(const char **s)
{
    uint64_t v = 0;

    while (**s == ' ')
        (*s)++;
    while (**s >= '0' && **s <= '9')
        v = v * 10 + (uint64_t)(*(*s)++ - '0');
    return v;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *p = si->cmdline;
    uint64_t loops = parse(&p), calls = parse(&p);
    solo5_time_t t0, t1;

    if (loops == 0 || calls == 0) {
        put("usage: hvt_bench LOOP_ITERATIONS HYPERCALLS\n");
        return 1;
    }
    t0 = solo5_clock_monotonic();
    __asm__ __volatile__("1: dec %0\n\tjnz 1b" : "+r"(loops) : : "cc");
    t1 = solo5_clock_monotonic();
    loops = parse(&(const char *){ si->cmdline });
    put("loop: ns per iteration: ");
    put_milli((t1 - t0) * 1000 / loops);
    put("\n");

    t0 = solo5_clock_monotonic();
    for (uint64_t i = 0; i < calls; i++)
        (void)solo5_clock_wall();
    t1 = solo5_clock_monotonic();
    put("hypercall WALLTIME: us per call: ");
    put_milli((t1 - t0) / calls);
    put("\n");

    t0 = solo5_clock_monotonic();
    for (uint64_t i = 0; i < calls; i++)
        solo5_yield(0, NULL);
    t1 = solo5_clock_monotonic();
    put("hypercall POLL (past deadline): us per call: ");
    put_milli((t1 - t0) / calls);
    put("\n");
    return 0;
}
