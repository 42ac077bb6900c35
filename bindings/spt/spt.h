/*
 * spt.h: internals of the spt bindings.  The guest runs inside the tender's
 * process and talks to Linux directly, with raw system calls restricted by
 * the tender's seccomp filter (ref §3.3): only the calls below, only on the
 * file descriptors the tender handed over.
 */
#ifndef SPT_H_INCLUDED
#define SPT_H_INCLUDED

#include "../bindings.h"
#include "spt_abi.h"

/* Linux ABI values the bindings use (the same on every architecture). */
#define SPT_CLOCK_REALTIME 0
#define SPT_CLOCK_MONOTONIC 1
#define SPT_TFD_TIMER_ABSTIME 1
#define SPT_EINTR 4
#define SPT_EAGAIN 11
#define SPT_ENXIO 6
#define SPT_ENODEV 19
#define SPT_EBADFD 77
#define SPT_NSEC_PER_SEC 1000000000ULL

struct spt_timespec {
    long tv_sec;
    long tv_nsec;
};

struct spt_itimerspec {
    struct spt_timespec it_interval;
    struct spt_timespec it_value;
};

/*
 * Raw system calls (spt_sys_<arch>.c).  They return the kernel's result:
 * a negative errno on failure.
 */
long spt_sys_read(int fd, void *buf, size_t size);
long spt_sys_write(int fd, const void *buf, size_t size);
long spt_sys_pread64(int fd, void *buf, size_t size, uint64_t offset);
long spt_sys_pwrite64(int fd, const void *buf, size_t size, uint64_t offset);
long spt_sys_clock_gettime(int clock, struct spt_timespec *ts);
long spt_sys_timerfd_settime(int fd, int flags,
        const struct spt_itimerspec *value);
/* epoll_pwait(epfd, ..., max, -1) with no signal mask; stores the data.u64
 * tag of each ready event in `tags` (the event layout is per-arch). */
long spt_sys_epoll_pwait_tags(int epfd, uint64_t *tags, int max);
/* Sets the thread pointer register (x86_64: arch_prctl(ARCH_SET_FS)). */
long spt_sys_set_tls_base(uintptr_t base);
void spt_sys_exit_group(int status) BINDINGS_NORETURN;

/* spt_yield.c: records the fds of the boot info and counts net devices. */
void spt_yield_init(const struct spt_boot_info *bi, const struct mft *mft);

void _start(struct spt_boot_info *bi) BINDINGS_NORETURN;

#endif /* SPT_H_INCLUDED */
