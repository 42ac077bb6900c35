/*
 * tender_seccomp_x86_64.c: the ABI the tenders' filters allow on x86_64.
 * System call numbers are compared exactly, so x32 calls (the same numbers
 * with bit 30 set) match no rule and are killed like i386 ones.
 */
#include <linux/audit.h>

#include "tender_bpf.h"

const uint32_t tender_seccomp_audit_arch = AUDIT_ARCH_X86_64;
