/*
 * tender_seccomp_aarch64.c: the ABI the tenders' filters allow on aarch64
 * (a 32-bit compat task would carry AUDIT_ARCH_ARM).
 */
#include <linux/audit.h>

#include "tender_bpf.h"

const uint32_t tender_seccomp_audit_arch = AUDIT_ARCH_AARCH64;
