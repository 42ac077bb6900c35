/* test_seccomp_x86_64.c: dup(fd) as a raw system call. */
#include "guest.h"

#define SYS_DUP 32

long sys_dup(long fd);

long sys_dup(long fd)
{
    long ret = SYS_DUP;

    __asm__ __volatile__("syscall"
                         : "+a"(ret)
                         : "D"(fd)
                         : "rcx", "r11", "memory");
    return ret;
}
