/*
 * xen_clock.c: clocks and yield.
 *
 * Monotonic time is Xen system time, from vCPU 0's pvclock record in
 * shared_info (the shared reader of bindings_pvclock_x86_64.c: the record
 * has KVM's layout).  Wall time is shared_info's wall clock at system time
 * 0 (read each time, so Xen's updates count: upstream reads it once, and
 * without wc_sec_hi) plus system time.  solo5_yield() arms Xen's one-shot
 * timer (VIRQ_TIMER) for the deadline and halts until it fires.
 */
#include "xen.h"

#define NSEC_PER_SEC 1000000000ULL

_Static_assert(sizeof(struct vcpu_time_info) == sizeof(struct bindings_pvclock),
        "Xen's time record is the pvclock record");
_Static_assert(__builtin_offsetof(struct vcpu_time_info, tsc_shift) ==
        __builtin_offsetof(struct bindings_pvclock, tsc_shift),
        "Xen's time record is the pvclock record");

static volatile bool timer_fired;

uint64_t xen_clock_system_time(void)
{
    return bindings_pvclock_read((const volatile struct bindings_pvclock *)
            &xen_shared_info()->vcpu_info[0].time);
}

uint64_t xen_wallclock_base(const volatile struct shared_info *s)
{
    uint32_t version;
    uint64_t sec, nsec;

    do {
        version = s->wc_version;
        __asm__ __volatile__("" : : : "memory");
        sec = ((uint64_t)s->xen_wc_sec_hi << 32) | s->wc_sec;
        nsec = s->wc_nsec;
        __asm__ __volatile__("" : : : "memory");
    } while ((version & 1) || version != s->wc_version);
    return sec * NSEC_PER_SEC + nsec;
}

solo5_time_t solo5_clock_monotonic(void)
{
    return xen_clock_system_time();
}

solo5_time_t solo5_clock_wall(void)
{
    return xen_wallclock_base(xen_shared_info()) + xen_clock_system_time();
}

static void timer_event(evtchn_port_t port)
{
    (void)port;
    timer_fired = true;
}

void xen_clock_init(void)
{
    struct evtchn_bind_virq bind = { .virq = VIRQ_TIMER, .vcpu = 0 };
    long rc = xen_hypercall_event_channel_op(EVTCHNOP_bind_virq, &bind);

    if (rc != 0)
        BINDINGS_PANIC("Xen refused VIRQ_TIMER (%ld)", rc);
    xen_evtchn_bind(bind.port, timer_event);
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    /* Xen's timer may fire a little early: re-armed until the deadline. */
    while (solo5_clock_monotonic() < deadline) {
        timer_fired = false;
        (void)xen_hypercall_set_timer_op(deadline);
        while (!timer_fired && solo5_clock_monotonic() < deadline)
            xen_cpu_block_unless(&timer_fired);
    }
    /* No Solo5 devices: nothing is ever ready. */
    if (ready_set != NULL)
        *ready_set = 0;
}
