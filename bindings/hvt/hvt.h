/*
 * hvt.h: internals of the hvt bindings.  The guest runs in a KVM virtual
 * machine set up by solo5-hvt (ref §2.4) and asks the tender for everything
 * with hypercalls (ref §2.5-2.6), except net and block transfers when the
 * tender offers its I/O rings (hvt_ring.c); there are no interrupts, ever.
 */
#ifndef HVT_H_INCLUDED
#define HVT_H_INCLUDED

#include "../bindings.h"
#include "hvt_abi.h"
#include "hvt_cpu.h"

/* Where the heap would rather start (bindings_mem_init()): on a guest
 * large page, which the tender backs with a host huge page. */
#define HVT_HEAP_ALIGN (2UL * 1024 * 1024)

/* hvt_hypercall_<arch>.c: issues hypercall `nr` with `arg`, a struct on
 * the stack (below 4 GiB); kicks the tender's I/O thread (the I/O rings);
 * the architecture's spin-wait hint. */
void hvt_hypercall(enum hvt_hypercall nr, void *arg);
void hvt_ring_kick(void);
void hvt_cpu_relax(void);

/* hvt_features.c: the HVT_FEATURE_* bits of bi->host_features that the
 * bindings will use (a test build links a variant that uses none). */
uint32_t hvt_features(const struct hvt_boot_info *bi);

/* hvt_clock.c: the TSC clock, scaled by the boot info's cpu_cycle_freq. */
void hvt_clock_init(uint64_t cpu_cycle_freq);

void _start(struct hvt_boot_info *bi) BINDINGS_NORETURN;
/* hvt_start.c: the rest of the boot and the application, once the entry
 * (hvt_entry_<arch>.c) has set the CPU up. */
void hvt_main(const struct hvt_boot_info *bi)
    BINDINGS_NORETURN __attribute__((noinline));

/* hvt_ring.c: the I/O rings, when the tender offers them (init says). */
bool hvt_ring_init(const struct hvt_boot_info *bi);
bool hvt_ring_active(void);
bool hvt_ring_console_write(const char *buf, size_t size);
solo5_result_t hvt_ring_block(uint32_t op, uint64_t handle,
        solo5_off_t offset, uintptr_t data, size_t size);
/* hvt_ring_block() in two halves: post, then wait for the result. */
uint32_t hvt_ring_block_post(uint32_t op, uint64_t handle,
        solo5_off_t offset, uintptr_t data, size_t size);
solo5_result_t hvt_ring_block_wait(uint32_t seq);
solo5_result_t hvt_ring_net_write(uint64_t handle, const uint8_t *buf,
        size_t size);
solo5_result_t hvt_ring_net_read(uint64_t handle, uint8_t *buf, size_t size,
        size_t *read_size);
bool hvt_ring_yield(solo5_time_t deadline, uint64_t *set);
/* After the POLL exit that followed hvt_ring_yield(): whether it got frames. */
void hvt_ring_yield_adapt(bool polled_frames);

/* hvt_readahead.c: sequential small block reads, read ahead through the
 * rings (init carves its buffers off the heap when there is a block
 * device); every block transfer goes through read/write once it is on. */
void hvt_readahead_init(struct bindings_heap *heap);
bool hvt_readahead_on(void);
solo5_result_t hvt_readahead_read(const struct mft_entry *e, uint64_t handle,
        solo5_off_t offset, uint8_t *buf, size_t size);
solo5_result_t hvt_readahead_write(uint64_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size);

#endif /* HVT_H_INCLUDED */
