/*
 * xen_console.c: the console.
 *
 * A domU has a PV console: a shared page with an output ring (struct
 * xencons_interface) that the console daemon in the control domain
 * drains, and an event channel to kick it.  Indexes run freely and are
 * masked with the ring size.  Writes are synchronous, as upstream's: LF
 * becomes CR LF, and the writer yields to Xen until the daemon has taken
 * everything, so nothing is lost when the domain shuts down right after.
 *
 * The hardware domain has no PV console (HVM_PARAM_CONSOLE_PFN is 0), and
 * neither has anyone before xen_console_init(): their output goes to Xen's
 * own console with the console_io hypercall (an addition: upstream drops
 * it).  Xen's default policy grants console_io to the hardware domain (and
 * to every domain only in a debug build of Xen), so what a domU writes
 * before its ring is found is lost on a release build, as upstream's.
 */
#include "xen.h"

#define RING_SIZE sizeof(((struct xencons_interface *)0)->out)

static volatile struct xencons_interface *ring;
static evtchn_port_t ring_port;

void xen_console_use_ring(struct xencons_interface *r, evtchn_port_t port)
{
    ring = r;
    ring_port = port;
}

void xen_console_init(void)
{
    uint64_t pfn, port;

    if (xen_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn) != 0 || pfn == 0)
        return;
    if (xen_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) != 0)
        return;
    xen_console_use_ring((struct xencons_interface *)(uintptr_t)(pfn << 12),
            (evtchn_port_t)port);
}

/* Copies what fits from buf[*done..size) into the ring at *prod; false if
 * the daemon broke the ring (more in it than it holds). */
static bool ring_fill(const char *buf, size_t size, size_t *done,
        XENCONS_RING_IDX *prod)
{
    XENCONS_RING_IDX cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);

    if (*prod - cons > RING_SIZE)
        return false;
    while (*done < size) {
        bool lf = buf[*done] == '\n';

        if (RING_SIZE - (*prod - cons) < (lf ? 2U : 1U))
            break;
        if (lf)
            ring->out[MASK_XENCONS_IDX((*prod)++, ring->out)] = '\r';
        ring->out[MASK_XENCONS_IDX((*prod)++, ring->out)] = buf[*done];
        (*done)++;
    }
    return true;
}

/* Yields until the daemon has left `room` bytes of the ring free; false
 * if it broke the ring. */
static bool ring_wait(XENCONS_RING_IDX prod, size_t room)
{
    for (;;) {
        XENCONS_RING_IDX cons =
            __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);

        if (prod - cons > RING_SIZE)
            return false;
        if (RING_SIZE - (prod - cons) >= room)
            return true;
        xen_sched_yield();
    }
}

void xen_console_ring_write(const char *buf, size_t size)
{
    XENCONS_RING_IDX prod = ring->out_prod;
    size_t done = 0;

    for (;;) {
        if (!ring_fill(buf, size, &done, &prod))
            return;
        __atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
        xen_evtchn_send(ring_port);
        if (done == size)
            break;
        /* Room for one more byte and its CR. */
        if (!ring_wait(prod, 2))
            return;
    }
    /* Synchronous: until the daemon has taken everything. */
    (void)ring_wait(prod, RING_SIZE);
}

void platform_console_write(const char *buf, size_t size)
{
    if (ring != NULL)
        xen_console_ring_write(buf, size);
    else
        (void)xen_hypercall_console_io(CONSOLEIO_write, (unsigned)size, buf);
}

void xen_console_report(void)
{
    if (ring != NULL)
        bindings_log(BINDINGS_LOG_INFO,
                "Solo5: Xen console: port 0x%x, ring @0x%016llX\n", ring_port,
                (unsigned long long)(uintptr_t)ring);
    else
        bindings_log(BINDINGS_LOG_INFO,
                "Solo5: Xen console: none, using Xen's own (console_io)\n");
}
