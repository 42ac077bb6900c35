/*
 * hvt_cpu.h: the descriptor tables (aarch64: vectors and stacks), traps
 * and TLS base of hvt_cpu_<arch>.c; x86_64's is built by virtio and xen too
 * (extra_sources in the targets table), and only it has IRQ handlers.
 */
#ifndef HVT_CPU_H_INCLUDED
#define HVT_CPU_H_INCLUDED

#include "../bindings.h"

/* Loads the guest's own GDT, TSS and IDT (aarch64: VBAR_EL1, the trap
 * stack) and sets the TLS base to 0.  With may_use_user_mode (hvt: the
 * tender offers HVT_FEATURE_USER_MODE; x86_64 only) it returns running at
 * CPL3. */
void hvt_cpu_init(bool may_use_user_mode);
void hvt_cpu_set_tls_base(uintptr_t base);
/* Whether the tender started the vCPU at CPL3 (x86_64's user start). */
bool hvt_cpu_user_started(void);
/* Stops forever, whatever the privilege level (after HALT). */
void hvt_cpu_halt(void) BINDINGS_NORETURN;

/* Called for interrupt vectors (32 and up), at CPL0 with interrupts off;
 * returns false for a vector it does not handle (then logged and ignored).
 * Without one every interrupt is logged and ignored. */
typedef bool (*hvt_cpu_irq_handler)(unsigned vector);
void hvt_cpu_set_irq_handler(hvt_cpu_irq_handler handler);

#endif /* HVT_CPU_H_INCLUDED */
