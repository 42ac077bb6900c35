/*
 * spt_seccomp_x86_64.c: x86_64 rules: the bindings set the TLS base with
 * arch_prctl(ARCH_SET_FS, base), and nothing else of arch_prctl.
 */
#include <asm/prctl.h>

#include "spt.h"
#include "tender_seccomp.h"

static const struct tender_seccomp_rule spt_x86_64_rules[] = {
    { TENDER_SYSCALL(arch_prctl), 1, { TENDER_ARG_IS(0, ARCH_SET_FS) } },
};

const struct tender_seccomp_table spt_seccomp_arch_rules =
    TENDER_SECCOMP_TABLE(spt_x86_64_rules);
