/*
 * test_spin: a guest for interrupting with a debugger (tests/debug/).
 *
 *   test_spin          spins in spin_loop() without any hypercall
 *   test_spin yield [N] waits in solo5_yield() with N-second deadlines
 *                      (default 60)
 *
 * either until a debugger sets `spin_stop`; then it prints SUCCESS.  It
 * prints "spinning" before it starts, so that a test knows when to
 * interrupt.  A yield that returns before its deadline (nothing can be
 * ready: no devices) fails the guest, interrupted by a debugger or not.
 */
#include "guest.h"

#define NSEC_PER_SEC 1000000000ULL

/* Volatile: the debugger writes it while the loops read it. */
volatile int spin_stop;
volatile uint64_t spin_count;

/* noinline: a frame of its own for `bt` to show. */
__attribute__((noinline)) static void spin_loop(void)
{
    while (!spin_stop)
        spin_count++;
}

__attribute__((noinline)) static int spin_yield(uint64_t seconds)
{
    while (!spin_stop) {
        solo5_time_t deadline = solo5_clock_monotonic() +
            seconds * NSEC_PER_SEC;

        solo5_yield(deadline, NULL);
        if (solo5_clock_monotonic() < deadline)
            return guest_failure("solo5_yield returned before its deadline");
        spin_count++;
    }
    return guest_success();
}

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t seconds = 60;

    guest_banner("test_spin");
    if (strcmp(si->cmdline, "") == 0) {
        guest_puts("spinning\n");
        spin_loop();
        return guest_success();
    }
    if (strcmp(si->cmdline, "yield") != 0 &&
            (strlen(si->cmdline) < 7 || memcmp(si->cmdline, "yield ", 6) != 0 ||
             !guest_parse_dec(si->cmdline + 6, &seconds) || seconds == 0))
        return guest_failure("usage: test_spin [yield [SECONDS]]");
    guest_puts("spinning in solo5_yield\n");
    return spin_yield(seconds);
}
