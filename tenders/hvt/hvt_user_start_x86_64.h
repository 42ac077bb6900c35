/*
 * hvt_user_start_x86_64.h: the user start of hvt_user_start_x86_64.c, for
 * hvt_cpu_x86_64.c and the unit harness (tests/hvt/hvt_unit_arch_x86_64.c).
 */
#ifndef HVT_USER_START_X86_64_H
#define HVT_USER_START_X86_64_H

#include <linux/kvm.h>

#include "hvt.h"

/* Reads the header at entry + HVT_USER_START_OFFSET: true if it is there
 * (in guest memory, with the magic). */
bool hvt_user_start_find(const struct hvt *h, uint64_t entry,
        struct hvt_user_start *hdr);
/* Fails, naming the field, if the header cannot describe a CPL3 start. */
int hvt_user_start_check(const struct hvt *h,
        const struct hvt_user_start *hdr, struct tender_err *err);
/* Turns the CPL0 boot state `s` into the header's CPL3 start; fsgsbase:
 * the vCPU's CPUID has FSGSBASE. */
void hvt_user_start_sregs(struct kvm_sregs *s,
        const struct hvt_user_start *hdr, bool fsgsbase);

#endif
