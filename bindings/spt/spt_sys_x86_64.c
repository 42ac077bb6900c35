/*
 * spt_sys_x86_64.c: raw Linux system calls on x86_64 (no libc, no vDSO).
 *
 * The numbers are the x86_64 ones the tender's seccomp filter allows.
 */
#include "spt.h"

#define SYS_READ 0
#define SYS_WRITE 1
#define SYS_PREAD64 17
#define SYS_PWRITE64 18
#define SYS_ARCH_PRCTL 158
#define SYS_CLOCK_GETTIME 228
#define SYS_EXIT_GROUP 231
#define SYS_EPOLL_PWAIT 281
#define SYS_TIMERFD_SETTIME 286

#define ARCH_SET_FS 0x1002

/* The x86_64 struct epoll_event is packed: 12 bytes. */
struct epoll_event_x86_64 {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

static long syscall3(long n, long a1, long a2, long a3)
{
    long ret;

    __asm__ __volatile__("syscall"
            : "=a"(ret)
            : "a"(n), "D"(a1), "S"(a2), "d"(a3)
            : "rcx", "r11", "memory");
    return ret;
}

static long syscall4(long n, long a1, long a2, long a3, long a4)
{
    register long r10 __asm__("r10") = a4;
    long ret;

    __asm__ __volatile__("syscall"
            : "=a"(ret)
            : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
            : "rcx", "r11", "memory");
    return ret;
}

static long syscall6(long n, long a1, long a2, long a3, long a4, long a5,
        long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;

    __asm__ __volatile__("syscall"
            : "=a"(ret)
            : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
            : "rcx", "r11", "memory");
    return ret;
}

long spt_sys_read(int fd, void *buf, size_t size)
{
    return syscall3(SYS_READ, fd, (long)buf, (long)size);
}

long spt_sys_write(int fd, const void *buf, size_t size)
{
    return syscall3(SYS_WRITE, fd, (long)buf, (long)size);
}

long spt_sys_pread64(int fd, void *buf, size_t size, uint64_t offset)
{
    return syscall4(SYS_PREAD64, fd, (long)buf, (long)size, (long)offset);
}

long spt_sys_pwrite64(int fd, const void *buf, size_t size, uint64_t offset)
{
    return syscall4(SYS_PWRITE64, fd, (long)buf, (long)size, (long)offset);
}

long spt_sys_clock_gettime(int clock, struct spt_timespec *ts)
{
    return syscall3(SYS_CLOCK_GETTIME, clock, (long)ts, 0);
}

long spt_sys_timerfd_settime(int fd, int flags,
        const struct spt_itimerspec *value)
{
    return syscall4(SYS_TIMERFD_SETTIME, fd, flags, (long)value, 0);
}

long spt_sys_epoll_pwait_tags(int epfd, uint64_t *tags, int max)
{
    struct epoll_event_x86_64 events[MFT_MAX_ENTRIES + 1];
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
    return syscall3(SYS_ARCH_PRCTL, ARCH_SET_FS, (long)base, 0);
}

void spt_sys_exit_group(int status)
{
    for (;;)
        syscall3(SYS_EXIT_GROUP, status, 0, 0);
}
