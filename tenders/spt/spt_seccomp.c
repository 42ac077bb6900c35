/*
 * spt_seccomp.c: the guest's system call policy.
 *
 * Default action: kill the process (SIGSYS, exit status 159).  Allowed,
 * exactly what the spt bindings issue and on the fds they need:
 *
 *   syscall          argument restrictions                     for
 *   ---------------  ----------------------------------------  ----------
 *   write            fd == 1                                   console
 *   exit_group       -                                         solo5_exit
 *   epoll_pwait      epfd == the epoll fd                      yield
 *   timerfd_settime  fd == the timer fd                        yield
 *   clock_gettime    clock == CLOCK_MONOTONIC                  clocks
 *   clock_gettime    clock == CLOCK_REALTIME                   clocks
 *   (arch rules, spt_seccomp_<arch>.c: x86_64 arch_prctl(ARCH_SET_FS))
 *   read             fd == the device's TAP fd                 each NET
 *   write            fd == the device's TAP fd                 each NET
 *   pread64          fd == the device's fd, count <= c,        each BLOCK,
 *                    offset <= capacity - c                    each c
 *   pwrite64         same as pread64                           each BLOCK,
 *                                                              each c
 *
 * Seccomp cannot add two arguments, so "offset + count <= capacity" is
 * enforced per chunk size c = block_size << (SPT_BLOCK_LEVEL_SHIFT * k),
 * k < SPT_BLOCK_LEVELS, c <= capacity: any transfer the filters let
 * through ends inside the device, and the bindings split their transfers
 * into such chunks (bindings/spt/spt_io.c).  The pread64/pwrite64 bounds
 * are a second, hand-built filter (tenders/common/tender_seccomp_bounds.c;
 * tender_seccomp.h says why); with 4 chunk sizes and 63 block devices it
 * has 2843 instructions, inside the kernel's 4096.
 */
#include <time.h>

#include "spt.h"
#include "spt_abi.h"
#include "tender_seccomp.h"

static const struct tender_seccomp_rule spt_core_rules[] = {
    { TENDER_SYSCALL(write), 1, { TENDER_ARG_IS(0, 1) } },
    { TENDER_SYSCALL(exit_group), 0, { { 0 } } },
    { TENDER_SYSCALL(epoll_pwait), 1, { TENDER_FD_IS(TENDER_SV_EPOLLFD) } },
    { TENDER_SYSCALL(timerfd_settime), 1, { TENDER_FD_IS(TENDER_SV_TIMERFD) } },
    { TENDER_SYSCALL(clock_gettime), 1, { TENDER_ARG_IS(0, CLOCK_MONOTONIC) } },
    { TENDER_SYSCALL(clock_gettime), 1, { TENDER_ARG_IS(0, CLOCK_REALTIME) } },
};

static const struct tender_seccomp_rule spt_net_rules[] = {
    { TENDER_SYSCALL(read), 1, { TENDER_FD_IS(TENDER_SV_DEV_FD) } },
    { TENDER_SYSCALL(write), 1, { TENDER_FD_IS(TENDER_SV_DEV_FD) } },
};

/* Bounded to the device by the second filter (block_levels). */
static const struct tender_seccomp_rule spt_block_rules[] = {
    { TENDER_SYSCALL(pread64), 1, { TENDER_FD_IS(TENDER_SV_DEV_FD) } },
    { TENDER_SYSCALL(pwrite64), 1, { TENDER_FD_IS(TENDER_SV_DEV_FD) } },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int spt_seccomp_build(struct tender *t, struct sock_fprog *prog,
        struct sock_fprog *bounds, size_t max_insns, struct tender_err *err)
{
    const struct spt *spt = spt_of(t);
    struct tender_seccomp_policy policy = {
        .core = spt_core_rules, .n_core = N(spt_core_rules),
        .net = spt_net_rules, .n_net = N(spt_net_rules),
        .block = spt_block_rules, .n_block = N(spt_block_rules),
        .block_levels = SPT_BLOCK_LEVELS,
        .block_level_shift = SPT_BLOCK_LEVEL_SHIFT,
        .extra = &spt_seccomp_arch_rules, .n_extra = 1,
        .values = {
            [TENDER_SV_EPOLLFD] = (uint64_t)spt->epollfd,
            [TENDER_SV_TIMERFD] = (uint64_t)spt->timerfd,
        },
    };

    return tender_seccomp_build(t, &policy, prog, bounds, max_insns, err);
}
