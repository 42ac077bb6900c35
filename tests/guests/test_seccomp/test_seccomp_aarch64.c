/* test_seccomp_aarch64.c: dup(fd) as a raw system call. */
#include "guest.h"

#define SYS_DUP 23

long sys_dup(long fd);

long sys_dup(long fd)
{
    register long x8 __asm__("x8") = SYS_DUP;
    register long x0 __asm__("x0") = fd;

    __asm__ __volatile__("svc #0" : "+r"(x0) : "r"(x8) : "memory", "cc");
    return x0;
}
