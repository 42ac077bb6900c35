/*
 * xen_evtchn.c: shared_info and event channels.
 *
 * Xen raises the upcall vector (XEN_UPCALL_VECTOR, targets table) on vCPU
 * 0 when an unmasked event channel becomes pending: evtchn_pending_sel
 * says which words of evtchn_pending to look at.  Every port starts
 * masked; xen_evtchn_bind() gives a port a handler and unmasks it.
 *
 * The demultiplexer is solo5__xen_evtchn_vector_handler(), a weak symbol:
 * MirageOS replaces it with its own (which only returns 1) and polls the
 * pending bits itself.  It returns non-zero when the LAPIC wants its EOI.
 */
#include "xen.h"

#define WORD_BITS (sizeof(xen_ulong_t) * 8)
#define HANDLED_PORTS 64

extern uint8_t solo5__xen_HYPERVISOR_SHARED_INFO[];
static xen_evtchn_handler handlers[HANDLED_PORTS];

volatile struct shared_info *xen_shared_info(void)
{
    return (volatile struct shared_info *)solo5__xen_HYPERVISOR_SHARED_INFO;
}

void xen_shared_info_init(void)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uintptr_t)solo5__xen_HYPERVISOR_SHARED_INFO >> 12,
    };
    long rc = xen_hypercall_memory_op(XENMEM_add_to_physmap, &xatp);

    if (rc != 0)
        BINDINGS_PANIC("Xen refused to map shared_info (%ld)", rc);
}

__attribute__((weak)) int solo5__xen_evtchn_vector_handler(void *arg)
{
    volatile struct shared_info *s = xen_shared_info();
    volatile struct vcpu_info *v = &s->vcpu_info[0];
    xen_ulong_t words;

    (void)arg;
    v->evtchn_upcall_pending = 0;
    words = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (words != 0) {
        unsigned w = (unsigned)__builtin_ctzl(words);
        xen_ulong_t pending;

        words &= words - 1;
        while ((pending = s->evtchn_pending[w] & ~s->evtchn_mask[w]) != 0) {
            unsigned bit = (unsigned)__builtin_ctzl(pending);
            evtchn_port_t port = w * WORD_BITS + bit;

            /* Cleared first: an event raised while the handler runs stays. */
            __atomic_fetch_and(&s->evtchn_pending[w], ~((xen_ulong_t)1 << bit),
                    __ATOMIC_SEQ_CST);
            if (port < HANDLED_PORTS && handlers[port] != NULL)
                handlers[port](port);
            else
                bindings_log(BINDINGS_LOG_WARN,
                        "Solo5: unhandled event on port 0x%x\n", port);
        }
    }
    return 1;
}

static bool upcall(unsigned vector)
{
    if (vector == XEN_SPURIOUS_VECTOR)
        return true; /* no EOI for the spurious vector */
    if (vector != XEN_UPCALL_VECTOR)
        return false;
    if (solo5__xen_evtchn_vector_handler(NULL))
        xen_lapic_eoi();
    return true;
}

void xen_evtchn_init(void)
{
    volatile struct shared_info *s = xen_shared_info();
    struct xen_hvm_evtchn_upcall_vector vector = {
        .vcpu = 0, .vector = XEN_UPCALL_VECTOR,
    };
    long rc;

    for (size_t w = 0; w < sizeof(s->evtchn_mask) / sizeof(s->evtchn_mask[0]);
            w++)
        s->evtchn_mask[w] = ~(xen_ulong_t)0;
    hvt_cpu_set_irq_handler(upcall);
    rc = xen_hypercall_hvm_op(HVMOP_set_evtchn_upcall_vector, &vector);
    if (rc != 0)
        BINDINGS_PANIC("Xen refused the upcall vector (%ld)", rc);
    /* As Linux does: the toolstack takes a set callback as the sign of a
     * guest with PV drivers (the vector above is what delivers events). */
    (void)xen_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, 1);
}

void xen_evtchn_bind(evtchn_port_t port, xen_evtchn_handler handler)
{
    struct evtchn_unmask unmask = { .port = port };
    long rc;

    if (port >= HANDLED_PORTS)
        BINDINGS_PANIC("event channel port %u out of range", port);
    handlers[port] = handler;
    /* Xen clears the mask bit, and raises the upcall if already pending. */
    rc = xen_hypercall_event_channel_op(EVTCHNOP_unmask, &unmask);
    if (rc != 0)
        BINDINGS_PANIC("Xen refused to unmask port %u (%ld)", port, rc);
}
