/*
 * spt_sys_aarch64.c: raw Linux system calls on aarch64 (no libc, no vDSO):
 * `svc #0` with the number in x8 and the arguments in x0-x5; the result
 * (a negative errno on failure) in x0.
 *
 * The numbers are the aarch64 ones the tender's seccomp filter allows
 * (its tables name calls by TENDER_SYSCALL(name), <asm/unistd.h>'s
 * __NR_name as built for aarch64).  The TLS base needs no system call:
 * TPIDR_EL0 is writable at EL0.
 */
#include "spt.h"

#define SYS_EPOLL_PWAIT 22
#define SYS_READ 63
#define SYS_WRITE 64
#define SYS_PREAD64 67
#define SYS_PWRITE64 68
#define SYS_TIMERFD_SETTIME 86
#define SYS_EXIT_GROUP 94
#define SYS_CLOCK_GETTIME 113

/* The aarch64 struct epoll_event is not packed: 16 bytes. */
struct epoll_event_aarch64 {
    uint32_t events;
    uint64_t data;
};

static long syscall6(long n, long a1, long a2, long a3, long a4, long a5,
        long a6)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    register long x3 __asm__("x3") = a4;
    register long x4 __asm__("x4") = a5;
    register long x5 __asm__("x5") = a6;

    __asm__ __volatile__("svc #0"
            : "+r"(x0)
            : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
            : "memory", "cc");
    return x0;
}

long spt_sys_read(int fd, void *buf, size_t size)
{
    return syscall6(SYS_READ, fd, (long)buf, (long)size, 0, 0, 0);
}

long spt_sys_write(int fd, const void *buf, size_t size)
{
    return syscall6(SYS_WRITE, fd, (long)buf, (long)size, 0, 0, 0);
}

long spt_sys_pread64(int fd, void *buf, size_t size, uint64_t offset)
{
    return syscall6(SYS_PREAD64, fd, (long)buf, (long)size, (long)offset,
            0, 0);
}

long spt_sys_pwrite64(int fd, const void *buf, size_t size, uint64_t offset)
{
    return syscall6(SYS_PWRITE64, fd, (long)buf, (long)size, (long)offset,
            0, 0);
}

long spt_sys_clock_gettime(int clock, struct spt_timespec *ts)
{
    return syscall6(SYS_CLOCK_GETTIME, clock, (long)ts, 0, 0, 0, 0);
}

long spt_sys_timerfd_settime(int fd, int flags,
        const struct spt_itimerspec *value)
{
    return syscall6(SYS_TIMERFD_SETTIME, fd, flags, (long)value, 0, 0, 0);
}

long spt_sys_epoll_pwait_tags(int epfd, uint64_t *tags, int max)
{
    struct epoll_event_aarch64 events[MFT_MAX_ENTRIES + 1];
    long n;

    if (max > (int)(sizeof(events) / sizeof(events[0])))
        max = sizeof(events) / sizeof(events[0]);
    n = syscall6(SYS_EPOLL_PWAIT, epfd, (long)events, max, -1, 0, 0);
    for (long i = 0; i < n; i++)
        tags[i] = events[i].data;
    return n;
}

long spt_sys_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("msr tpidr_el0, %0" : : "r"(base) : "memory");
    return 0;
}

void spt_sys_exit_group(int status)
{
    for (;;)
        syscall6(SYS_EXIT_GROUP, status, 0, 0, 0, 0, 0);
}
