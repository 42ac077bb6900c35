/*
 * bench_kvm.h: the smallest KVM helpers shared by the bench/ programs.
 *
 * Every function returns 0 (or a positive value) on success and -errno on
 * failure; none of them prints or exits, so the programs decide what to say.
 * The long-mode set-up mirrors the hvt tender's initial state (ref 2.2, 2.4)
 * so that timings and probe results carry over to solo5-hvt.
 */
#ifndef BENCH_KVM_H
#define BENCH_KVM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Guest-physical layout, as in hvt (ref 2.2). */
#define BENCH_GDT_BASE   0x1000UL
#define BENCH_PML4_BASE  0x2000UL
#define BENCH_PDPT_BASE  0x3000UL
#define BENCH_PD_BASE    0x4000UL
#define BENCH_PT0_BASE   0x8000UL
#define BENCH_RO_START   0x10000UL   /* boot info: mapped P only in the guest */
#define BENCH_ENTRY      0x100000UL  /* where the programs put guest code */

/* Control register values hvt uses (ref 2.4). */
#define BENCH_CR0_PE  (1UL << 0)
#define BENCH_CR0_MP  (1UL << 1)
#define BENCH_CR0_EM  (1UL << 2)
#define BENCH_CR0_TS  (1UL << 3)
#define BENCH_CR0_NE  (1UL << 5)
#define BENCH_CR0_WP  (1UL << 16)
#define BENCH_CR0_PG  (1UL << 31)
#define BENCH_CR4_PAE        (1UL << 5)
#define BENCH_CR4_OSFXSR     (1UL << 9)
#define BENCH_CR4_OSXMMEXCPT (1UL << 10)
#define BENCH_CR4_OSXSAVE    (1UL << 18)
#define BENCH_HVT_CR0 (BENCH_CR0_PE | BENCH_CR0_NE | BENCH_CR0_WP | BENCH_CR0_PG)
#define BENCH_HVT_CR4 (BENCH_CR4_PAE | BENCH_CR4_OSFXSR | BENCH_CR4_OSXMMEXCPT)
#define BENCH_EFER_LME (1UL << 8)
#define BENCH_EFER_LMA (1UL << 10)

struct bench_vm {
    int kvm;
    int vm;
    int vcpu;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
    size_t mem_size;
};

/* Sets every descriptor to -1 and pointers to NULL. */
void bench_init(struct bench_vm *v);
/* open("/dev/kvm"), API version check, KVM_CREATE_VM. */
int bench_open(struct bench_vm *v);
/* mmap(size, mmap_flags) (MAP_ANONYMOUS is added), optional madvise(advice,
 * advice < 0 for none), then slot 0 at GPA 0. */
int bench_add_memory(struct bench_vm *v, size_t size, int mmap_flags,
                     int advice);
/* KVM_CREATE_VCPU 0 and mmap of its kvm_run. */
int bench_create_vcpu(struct bench_vm *v);
/* Flat real mode: CS base 0, RIP = entry (below 64 KiB). */
int bench_setup_real(struct bench_vm *v, uint64_t entry);
/* Writes the boot GDT and hvt's identity page tables into guest memory. */
void bench_write_pagetables(struct bench_vm *v);
/* 64-bit long mode as hvt sets it up, with the given CR0/CR4. With
 * BENCH_LONG_USER the vCPU starts at CPL3 (selectors 0x1b/0x23, IOPL3 so that
 * `out` still exits to the host); call bench_set_user_pages() too. */
#define BENCH_LONG_USER 0x1U
int bench_setup_long(struct bench_vm *v, uint64_t entry, uint64_t cr0,
                     uint64_t cr4, unsigned flags);
/* Sets the U bit in every present paging-structure entry. */
void bench_set_user_pages(struct bench_vm *v);
/* KVM_GET_SUPPORTED_CPUID passed unfiltered to KVM_SET_CPUID2, like hvt. */
int bench_set_cpuid(struct bench_vm *v);
/* KVM_RUN, retried on EINTR: returns run->exit_reason or -errno. */
int bench_run(struct bench_vm *v);
/* Closes and unmaps whatever is open; safe to call twice. */
void bench_close(struct bench_vm *v);

const char *bench_exit_name(uint32_t reason);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

#endif
