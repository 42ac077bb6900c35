/*
 * test_time: the clocks and solo5_yield().
 *   - the monotonic clock advances;
 *   - yield() to a deadline already reached returns promptly (< 100 ms);
 *   - 5 x yield(now + 1 s) each take 1 s +- 0.2 s;
 *   - the wall clock is at or after 2017-01-01.
 */
#include "guest.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define WALL_2017_01_01 (1483228800ULL * NSEC_PER_SEC)

static void put_ms(const char *what, uint64_t ns)
{
    guest_puts(what);
    guest_put_dec(ns / NSEC_PER_MSEC);
    guest_puts(" ms\n");
}

int solo5_app_main(const struct solo5_start_info *si)
{
    solo5_time_t t0, t1;
    int spins;

    (void)si;
    guest_banner("test_time");

    t0 = solo5_clock_monotonic();
    for (spins = 0; spins < 100000000; spins++) {
        if (solo5_clock_monotonic() > t0)
            break;
    }
    if (solo5_clock_monotonic() <= t0)
        return guest_failure("monotonic clock does not advance");

    t0 = solo5_clock_monotonic();
    solo5_yield(t0, NULL);
    t1 = solo5_clock_monotonic();
    put_ms("yield(now) took ", t1 - t0);
    if (t1 - t0 >= 100 * NSEC_PER_MSEC)
        return guest_failure("yield to a past deadline did not return promptly");

    for (int i = 0; i < 5; i++) {
        t0 = solo5_clock_monotonic();
        solo5_yield(t0 + NSEC_PER_SEC, NULL);
        t1 = solo5_clock_monotonic();
        put_ms("yield(now + 1 s) took ", t1 - t0);
        if (t1 - t0 < NSEC_PER_SEC - 200 * NSEC_PER_MSEC)
            return guest_failure("slept too little");
        if (t1 - t0 > NSEC_PER_SEC + 200 * NSEC_PER_MSEC)
            return guest_failure("slept too much");
    }

    t0 = solo5_clock_wall();
    guest_puts("wall clock: ");
    guest_put_dec(t0 / NSEC_PER_SEC);
    guest_puts(" s since 1970\n");
    if (t0 < WALL_2017_01_01)
        return guest_failure("wall clock is before 2017-01-01");
    return guest_success();
}
