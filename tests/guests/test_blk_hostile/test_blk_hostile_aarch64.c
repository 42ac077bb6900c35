/* test_blk_hostile_aarch64.c: pread64/pwrite64 as raw system calls. */
#include "guest.h"

#define SYS_PREAD64 67
#define SYS_PWRITE64 68

long sys_transfer(int write, long fd, long buf, long count, long offset);

long sys_transfer(int write, long fd, long buf, long count, long offset)
{
    register long x8 __asm__("x8") = write ? SYS_PWRITE64 : SYS_PREAD64;
    register long x0 __asm__("x0") = fd;
    register long x1 __asm__("x1") = buf;
    register long x2 __asm__("x2") = count;
    register long x3 __asm__("x3") = offset;

    __asm__ __volatile__("svc #0"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
                         : "memory", "cc");
    return x0;
}
