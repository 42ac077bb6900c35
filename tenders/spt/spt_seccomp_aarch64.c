/*
 * spt_seccomp_aarch64.c: aarch64 adds no rules: the bindings set the TLS
 * base with `msr tpidr_el0` (no system call), and the policy's calls
 * (spt_seccomp.c) are aarch64 numbers when built for aarch64
 * (TENDER_SYSCALL).
 */
#include "spt.h"
#include "tender_seccomp.h"

const struct tender_seccomp_table spt_seccomp_arch_rules = { NULL, 0 };
