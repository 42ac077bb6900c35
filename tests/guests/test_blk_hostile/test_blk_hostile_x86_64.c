/* test_blk_hostile_x86_64.c: pread64/pwrite64 as raw system calls. */
#include "guest.h"

#define SYS_PREAD64 17
#define SYS_PWRITE64 18

long sys_transfer(int write, long fd, long buf, long count, long offset);

long sys_transfer(int write, long fd, long buf, long count, long offset)
{
    register long r10 __asm__("r10") = offset;
    long ret;

    __asm__ __volatile__("syscall"
                         : "=a"(ret)
                         : "a"(write ? SYS_PWRITE64 : SYS_PREAD64), "D"(fd), "S"(buf),
                           "d"(count), "r"(r10)
                         : "rcx", "r11", "memory");
    return ret;
}
