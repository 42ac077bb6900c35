/*
 * bindings_cpu_x86_64.h: x86_64 instructions and the paravirtual clock
 * record that the bindings of whole x86_64 machines (virtio, xen) share
 * (bindings_cpu_x86_64.c, bindings_pvclock_x86_64.c).
 */
#ifndef BINDINGS_CPU_X86_64_H_INCLUDED
#define BINDINGS_CPU_X86_64_H_INCLUDED

#include "bindings.h"

void bindings_cpu_cpuid(uint32_t leaf, uint32_t regs[4]);
uint64_t bindings_cpu_rdmsr(uint32_t msr);
void bindings_cpu_wrmsr(uint32_t msr, uint64_t value);
void bindings_cpu_pause(void);
/* Runs fn() on the stack ending at `top`; never returns. */
void bindings_cpu_switch_stack(uintptr_t top, void (*fn)(void))
    BINDINGS_NORETURN;

/*
 * The time record of KVM's pvclock and of Xen's vcpu_time_info (the same
 * layout and protocol): system time in ns at TSC value tsc_timestamp, and
 * the scale from TSC ticks to ns.  The hypervisor makes `version` odd while
 * it updates the record.
 */
struct bindings_pvclock {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
} __attribute__((packed));

/* System time (ns) the record gives for TSC value `tsc`. */
uint64_t bindings_pvclock_scale(const volatile struct bindings_pvclock *c,
        uint64_t tsc);
/* System time now, retried while the hypervisor updates the record. */
uint64_t bindings_pvclock_read(const volatile struct bindings_pvclock *c);

#endif /* BINDINGS_CPU_X86_64_H_INCLUDED */
