/*
 * xen.h: internals of the xen bindings.  The unikernel is a Xen PVH domain
 * (a domU started by a toolstack such as `xl create`, or the PVH hardware
 * domain itself, as the tests boot it): Xen enters it in 32-bit protected
 * mode at _start32 (xen_boot_x86_64.S), named by the PHYS32_ENTRY note the
 * linker script writes from the targets table.  Everything else is asked
 * of Xen with hypercalls; the only interrupt is the event-channel upcall.
 *
 * The Xen structures and numbers come from Xen's public headers, installed
 * as include/solo5/xen/ from the build host (the targets table).
 */
#ifndef XEN_H_INCLUDED
#define XEN_H_INCLUDED

#include "../bindings.h"
#include "../bindings_cpu_x86_64.h"
#include "../hvt/hvt_cpu.h"

#include "xen/xen.h"
#include "xen/arch-x86/hvm/start_info.h"
#include "xen/event_channel.h"
#include "xen/hvm/hvm_op.h"
#include "xen/hvm/params.h"
#include "xen/io/console.h"
#include "xen/memory.h"
#include "xen/sched.h"

/* --- Hypercalls (xen_hypercall_x86_64.c).  Every call returns Xen's
 * result: 0 or more on success, a negative Xen errno otherwise. --- */
/* Finds Xen's CPUID leaves and has Xen fill the hypercall page; false if
 * this is not Xen. */
bool xen_hypercall_init(void);
long xen_hypercall_memory_op(unsigned cmd, void *arg);
long xen_hypercall_hvm_op(unsigned cmd, void *arg);
long xen_hypercall_event_channel_op(unsigned cmd, void *arg);
long xen_hypercall_sched_op(unsigned cmd, void *arg);
long xen_hypercall_set_timer_op(uint64_t deadline);
long xen_hypercall_console_io(unsigned cmd, unsigned size, const char *buf);

/* HVMOP_get_param / HVMOP_set_param on this domain. */
long xen_hvm_get_param(uint32_t index, uint64_t *value);
long xen_hvm_set_param(uint32_t index, uint64_t value);
/* EVTCHNOP_send: kicks the other end of `port`. */
void xen_evtchn_send(evtchn_port_t port);
/* SCHEDOP_yield: lets Xen run something else (the console daemon). */
void xen_sched_yield(void);

/* --- Start of day (xen_start.c, xen_memory.c). --- */
void _start(const struct hvm_start_info *si) BINDINGS_NORETURN;
/* The top of the RAM the unikernel may use (the first RAM range of the
 * memory map that covers 1 MiB, capped at 4 GiB); 0 if none. */
uint64_t xen_memory_size(const struct hvm_start_info *si);

/* --- Page tables (xen_pagetable.c): built at boot, after the image. --- */
struct xen_image {
    uintptr_t stext, etext, erodata; /* from the linker script */
    uintptr_t tables; /* where the page tables are, after erodata */
};
/* Pages of page tables xen_pagetable_build() writes for `image`. */
size_t xen_pagetable_pages(const struct xen_image *image);
/*
 * Writes identity-mapped page tables for [0, 5 GiB) into `pages` (page
 * aligned, xen_pagetable_pages() of them, at physical address `pages`,
 * which is image->tables but in the host tests): below stext and the
 * tables themselves nothing, text read-only and executable, rodata
 * read-only, everything else read-write; `nx` (0 or the NX bit) on all but
 * the text.  Returns the value for CR3.
 */
uint64_t xen_pagetable_build(uint64_t *pages, const struct xen_image *image,
        uint64_t nx);
/* The bytes of page tables the linked image needs, and building them in
 * the first pages after _end and switching to them. */
size_t xen_pagetable_size(void);
void xen_pagetable_init(void);

/* --- Console (xen_console.c). --- */
/* The PV console ring of a domU; without one (the hardware domain) the
 * console is Xen's own, through the console_io hypercall. */
void xen_console_init(void);
void xen_console_use_ring(struct xencons_interface *ring, evtchn_port_t port);
/* Writes everything to the ring (LF as CR LF), kicking the console daemon
 * and yielding until it has taken all of it. */
void xen_console_ring_write(const char *buf, size_t size);
/* Logs which console is in use (upstream's line when it is the ring). */
void xen_console_report(void);

/* --- The private exports MirageOS uses (upstream's names and types). --- */
/* Demultiplexes pending events to their handlers; weak, MirageOS replaces
 * it.  Non-zero: the LAPIC gets its EOI. */
int solo5__xen_evtchn_vector_handler(void *arg);
/* Where grant mappings may go: already mapped read-write, not executable. */
void solo5__xen_get_gntmap_area(uint64_t *addr, size_t *size);

/* --- Events (xen_evtchn.c) and the LAPIC (xen_lapic_x86_64.c). --- */
typedef void (*xen_evtchn_handler)(evtchn_port_t port);
void xen_shared_info_init(void);
volatile struct shared_info *xen_shared_info(void);
void xen_evtchn_init(void);
/* Binds `handler` to `port` and unmasks it. */
void xen_evtchn_bind(evtchn_port_t port, xen_evtchn_handler handler);
void xen_lapic_init(void);
void xen_lapic_eoi(void);

/* --- Clocks (xen_clock.c): Xen's pvclock in shared_info. --- */
/* Xen system time (ns) from vCPU 0's time record. */
uint64_t xen_clock_system_time(void);
/* The wall-clock time (ns since the epoch) at Xen system time 0, read
 * with the shared_info version protocol. */
uint64_t xen_wallclock_base(const volatile struct shared_info *s);
void xen_clock_init(void);

/* --- CPU (xen_cpu_x86_64.c). --- */
void xen_cpu_enable_interrupts(void);
/* Waits for an interrupt unless `*flag` is set; interrupts stay enabled. */
void xen_cpu_block_unless(volatile bool *flag);
void xen_cpu_load_cr3(uint64_t cr3);

#define XEN_EFER 0xc0000080U
#define XEN_EFER_NXE (1ULL << 11)
#define XEN_PTE_NX (1ULL << 63)

#endif /* XEN_H_INCLUDED */
