/*
 * hvt_cpu_x86_64.h: what hvt_cpu_x86_64.c shows besides hvt_cpu_setup():
 * its segments (for the user start, hvt_user_start_x86_64.c), and the page
 * tables it writes, for tests/hvt/hvt_unit_arch_x86_64.c, which
 * checks them page by page against a model
 * (tests/hvt/test_hvt_page_tables.py).
 */
#ifndef HVT_CPU_X86_64_H
#define HVT_CPU_X86_64_H

#include "hvt.h"

/* Writes the guest's page tables into low guest memory, from h's read-only
 * and executable ranges; nx_ok: the vCPU has NX.  Fails only where a 2 MiB
 * page's read-only pages had to be made read-only in the host mapping
 * (hvt_mem_host_ro()) and could not be. */
int hvt_cpu_page_tables(struct hvt *h, bool nx_ok, struct tender_err *err);

/* A flat 4 GiB code or data segment (type, L, D/B as in a descriptor) of
 * privilege level dpl, for KVM_SET_SREGS. */
struct kvm_segment;
struct kvm_segment hvt_cpu_segment(uint16_t selector, uint8_t type,
        uint8_t l, uint8_t db, uint8_t dpl);

#endif
