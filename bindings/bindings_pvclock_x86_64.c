/*
 * bindings_pvclock_x86_64.c: reading a paravirtual clock record (KVM's
 * pvclock on virtio, Xen's vcpu_time_info on xen).
 */
#include "bindings_cpu_x86_64.h"

uint64_t bindings_pvclock_scale(const volatile struct bindings_pvclock *c,
        uint64_t tsc)
{
    uint64_t delta = tsc - c->tsc_timestamp;
    unsigned __int128 product;

    if (c->tsc_shift < 0)
        delta >>= -c->tsc_shift;
    else
        delta <<= c->tsc_shift;
    product = (unsigned __int128)delta * c->tsc_to_system_mul;
    return c->system_time + (uint64_t)(product >> 32);
}

uint64_t bindings_pvclock_read(const volatile struct bindings_pvclock *c)
{
    uint32_t version;
    uint64_t ns;

    do {
        version = c->version;
        /* The record is read after the version, the version again after
         * the record (x86 keeps loads in order; the compiler must too). */
        __asm__ __volatile__("" : : : "memory");
        ns = bindings_pvclock_scale(c, bindings_cpu_cycles());
        __asm__ __volatile__("" : : : "memory");
        /* An odd version, or a changed one, means an update was under way. */
    } while ((version & 1) || version != c->version);
    return ns;
}
