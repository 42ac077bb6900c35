/*
 * fake_hvt.h, fake_hvt.c: a solo5-hvt tender without a VM, for the harnesses
 * that drive hvt code the guest talks to (hypercalls, I/O rings, gdb).
 *
 * Guest memory is laid out as the real tender lays it out, with the same
 * host protections: [0, FAKE_HVT_RO_END) read-only (page tables, boot
 * info, and one read-only "text" segment recorded in h->ro), the rest
 * writable, and an inaccessible guard page after mem_size, so that a write
 * the checks should have refused, or any access past the end, faults.
 * Only [FAKE_HVT_DATA, mem_size) is ever filled from the input (and reset
 * before each input); the rest stays zero.
 *
 * The manifest has, at these handles: 1 "disk" (BLOCK_BASIC, 512-byte
 * blocks, a 64 KiB memfd), 2 "net" (NET_BASIC, MTU 1500), 3 "big" (BLOCK,
 * 4096-byte blocks, 64 KiB), 4 "jumbo" (NET, MTU 9000), 5 "spare" (BLOCK,
 * declared but not attached).  A NET device's "tap" is one end of a
 * datagram socket pair; the harness holds the other (peer[handle]).
 */
#ifndef FUZZ_FAKE_HVT_H
#define FUZZ_FAKE_HVT_H

#include "hvt.h"

#define FAKE_HVT_WINDOW (64U << 10)
#define FAKE_HVT_MEM_SIZE (HVT_GUEST_MIN_BASE + FAKE_HVT_WINDOW)
#define FAKE_HVT_RO_END (HVT_GUEST_MIN_BASE + 0x1000)
/* Where the input lands: the first writable guest page. */
#define FAKE_HVT_DATA FAKE_HVT_RO_END
#define FAKE_HVT_DATA_MAX (FAKE_HVT_MEM_SIZE - FAKE_HVT_DATA)
#define FAKE_HVT_ENTRIES 6
#define FAKE_HVT_BLOCK_BYTES (64U << 10)

struct fake_hvt {
    struct tender t;
    struct hvt h;
    struct mft *mft;
    int peer[FAKE_HVT_ENTRIES];     /* NET: the harness's end, else -1 */
};

/* Sets everything up (once per process). */
void fake_hvt_init(struct fake_hvt *f);

/* Before each input: [FAKE_HVT_DATA, mem_size) gets `data` (zero-padded),
 * the taps are drained both ways. */
void fake_hvt_reset(struct fake_hvt *f, const uint8_t *data, size_t size);

/* After an input: every block device's file still has its capacity's
 * size (a transfer past the device would have grown it). */
void fake_hvt_check_blocks(struct fake_hvt *f);

/* The host address of guest `gpa` (no check: for the harness itself). */
uint8_t *fake_hvt_at(struct fake_hvt *f, uint64_t gpa);

#endif /* FUZZ_FAKE_HVT_H */
