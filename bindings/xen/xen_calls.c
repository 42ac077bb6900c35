/*
 * xen_calls.c: the hypercalls the bindings make, with their arguments
 * spelled out once.
 */
#include "xen.h"

long xen_hvm_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long rc = xen_hypercall_hvm_op(HVMOP_get_param, &p);

    *value = rc == 0 ? p.value : 0;
    return rc;
}

long xen_hvm_set_param(uint32_t index, uint64_t value)
{
    struct xen_hvm_param p = {
        .domid = DOMID_SELF, .index = index, .value = value,
    };

    return xen_hypercall_hvm_op(HVMOP_set_param, &p);
}

void xen_evtchn_send(evtchn_port_t port)
{
    struct evtchn_send send = { .port = port };

    (void)xen_hypercall_event_channel_op(EVTCHNOP_send, &send);
}

void xen_sched_yield(void)
{
    (void)xen_hypercall_sched_op(SCHEDOP_yield, NULL);
}
