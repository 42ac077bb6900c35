/*
 * test_seccomp (spt only): a system call outside the sandbox's whitelist,
 * dup(1), must kill the unikernel with SIGSYS (status 159).
 */
#include "guest.h"

#define SYS_DUP 32

int solo5_app_main(const struct solo5_start_info *si)
{
    long ret = SYS_DUP;

    (void)si;
    guest_banner("test_seccomp");

    __asm__ __volatile__("syscall"
                         : "+a"(ret)
                         : "D"(1L)
                         : "rcx", "r11", "memory");
    guest_puts("dup(1) returned ");
    guest_put_dec((uint64_t)ret);
    guest_puts("\n");
    return guest_failure("forbidden system call was not killed");
}
