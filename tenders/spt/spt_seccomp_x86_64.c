/*
 * spt_seccomp_x86_64.c: x86_64 rules: the bindings set the TLS base with
 * arch_prctl(ARCH_SET_FS, base), and nothing else of arch_prctl.
 */
#include <asm/prctl.h>
#include <seccomp.h>
#include <string.h>

#include "spt.h"

int spt_seccomp_arch_rules(void *scmp_ctx, struct tender_err *err)
{
    int rc = seccomp_rule_add(scmp_ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl),
            1, SCMP_A0(SCMP_CMP_EQ, ARCH_SET_FS));

    if (rc != 0)
        return tender_err_set(err, "seccomp: adding a rule for arch_prctl: "
                "%s", strerror(-rc));
    return 0;
}
