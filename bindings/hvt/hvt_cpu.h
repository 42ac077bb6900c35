/*
 * hvt_cpu.h: the x86_64 descriptor tables, traps and TLS base of
 * hvt_cpu_x86_64.c, which virtio and xen build too (extra_sources in the
 * targets table).
 */
#ifndef HVT_CPU_H_INCLUDED
#define HVT_CPU_H_INCLUDED

#include "../bindings.h"

/* Loads the guest's own GDT, TSS and IDT.  With may_use_user_mode (hvt:
 * the tender offers HVT_FEATURE_USER_MODE) it returns running at CPL3. */
void hvt_cpu_init(bool may_use_user_mode);
void hvt_cpu_set_tls_base(uintptr_t base);
/* Stops forever, whatever the privilege level (after HALT). */
void hvt_cpu_halt(void) BINDINGS_NORETURN;

/* Called for interrupt vectors (32 and up), at CPL0 with interrupts off;
 * returns false for a vector it does not handle (then logged and ignored).
 * Without one every interrupt is logged and ignored. */
typedef bool (*hvt_cpu_irq_handler)(unsigned vector);
void hvt_cpu_set_irq_handler(hvt_cpu_irq_handler handler);

#endif /* HVT_CPU_H_INCLUDED */
