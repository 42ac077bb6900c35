/*
 * test_seccomp (spt only): a system call outside the sandbox's whitelist,
 * dup(1), must kill the unikernel with SIGSYS (status 159).  The raw call
 * is test_seccomp_<arch>.c's.
 */
#include "guest.h"

long sys_dup(long fd);

int solo5_app_main(const struct solo5_start_info *si)
{
    long ret;

    (void)si;
    guest_banner("test_seccomp");

    ret = sys_dup(1);
    guest_puts("dup(1) returned ");
    guest_put_dec((uint64_t)ret);
    guest_puts("\n");
    return guest_failure("forbidden system call was not killed");
}
