/*
 * hvt_seccomp.c: the tender's system call policy while the guest runs.
 *
 * Installed after all set-up, right before the first KVM_RUN.  Default
 * action: kill the process (SIGSYS, exit status 159).  Allowed, exactly
 * what the run loop and the hypercall handlers issue (the tables become a
 * filter in tenders/common/tender_seccomp.c, shared with solo5-spt):
 *
 *   syscall          argument restrictions                     for
 *   ---------------  ----------------------------------------  ----------
 *   ioctl            fd == the vCPU fd, request == KVM_RUN     run loop
 *   ioctl            fd == the vCPU fd, request == hvt_pc_ioctl  the pc for
 *                    (x86_64 KVM_GET_REGS, aarch64             fatal exits
 *                    KVM_GET_ONE_REG)
 *   ioctl            fd == the VM fd, request ==               memory on
 *                    KVM_SET_USER_MEMORY_REGION, only while    demand
 *                    guest memory has a part on demand         (hvt_kvm_
 *                                                              slot.c)
 *   write            fd == 1                                   PUTS
 *   write            fd == 2                                   messages
 *   exit_group       -                                         exit
 *   epoll_pwait      epfd == the epoll fd                      POLL
 *   timerfd_settime  fd == the timer fd                        POLL
 *   clock_gettime    clock == CLOCK_REALTIME (when the vDSO    WALLTIME
 *                    falls back to the system call)
 *   read             fd == the device's TAP fd                 each NET
 *   write            fd == the device's TAP fd                 each NET
 *   pread64          fd == the device's fd, offset < capacity  each BLOCK
 *   pwrite64         same as pread64                           each BLOCK
 *
 * With the I/O rings (hvt_ring.c) the I/O thread runs under the same
 * filter (it installs it itself, before it touches the rings), which then
 * also allows:
 *
 *   read             fd == the kick eventfd                    thread
 *                                                              sleeps
 *   epoll_pwait      epfd == the rings' POLL epoll fd          POLL
 *   epoll_pwait      epfd == the thread's epoll fd (the kick   thread
 *                    and the taps)                             sleeps
 *   write            fd == the RX eventfd                      thread
 *   read             fd == the RX eventfd                      POLL
 *   write            fd == the kick eventfd                    kick exit
 *   ioctl            fd == the VM fd, request == KVM_IOEVENTFD the kick's
 *                                                              ioeventfd,
 *                                                              registered
 *                                                              late
 *   sched_yield      -                                         thread spin
 *   sched_setaffinity  pid == 0 (the calling thread)           the thread
 *                                                              avoids the
 *                                                              vCPU's CPU
 *   getcpu           - (sched_getcpu() without rseq or vDSO)   the vCPU's
 *                                                              CPU
 *
 * and the device rules above serve the tap traffic (the thread's, and
 * POLL's, which reads and writes the taps too) and the block requests.
 *
 * (KVM_IOEVENTFD could also register other ioeventfds: that lets KVM
 * signal an eventfd on a guest write, nothing more.)
 *
 * Not allowed, among everything else: any other ioctl (no new vCPU, no
 * memory slot changes but the one for memory on demand, whose struct the
 * filter cannot see: it could only map more of the tender's own memory
 * into the guest, which a tender running the attacker's code has anyway;
 * no KVM_SET_REGS), mmap/mprotect (guest memory keeps its protections),
 * open, socket, exec.  Block sizes and alignment are
 * checked by the hypercall handler before pread/pwrite.
 *
 * The filter is built as BPF before it is installed, so that nothing needs
 * malloc()/free() once it is.
 */
#include <linux/filter.h>
#include <linux/kvm.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvt.h"
#include "tender_seccomp.h"

static const struct tender_seccomp_rule hvt_core_rules[] = {
    { TENDER_SYSCALL(ioctl), 2, { TENDER_FD_IS(TENDER_SV_VCPUFD), TENDER_ARG_IS(1, KVM_RUN) } },
    { TENDER_SYSCALL(write), 1, { TENDER_ARG_IS(0, STDOUT_FILENO) } },
    { TENDER_SYSCALL(write), 1, { TENDER_ARG_IS(0, STDERR_FILENO) } },
    { TENDER_SYSCALL(exit_group), 0, { { 0 } } },
    { TENDER_SYSCALL(epoll_pwait), 1, { TENDER_FD_IS(TENDER_SV_EPOLLFD) } },
    { TENDER_SYSCALL(timerfd_settime), 1, { TENDER_FD_IS(TENDER_SV_TIMERFD) } },
    { TENDER_SYSCALL(clock_gettime), 1, { TENDER_ARG_IS(0, CLOCK_REALTIME) } },
};

static const struct tender_seccomp_rule hvt_net_rules[] = {
    { TENDER_SYSCALL(read), 1, { TENDER_FD_IS(TENDER_SV_DEV_FD) } },
    { TENDER_SYSCALL(write), 1, { TENDER_FD_IS(TENDER_SV_DEV_FD) } },
};

/* The handler checks offset + length against the capacity itself (and
 * transfers a request in one call): the filter pins the fd and bounds the
 * offset, as a second line of defence. */
static const struct tender_seccomp_rule hvt_block_rules[] = {
    { TENDER_SYSCALL(pread64), 2, { TENDER_FD_IS(TENDER_SV_DEV_FD),
        TENDER_ARG_BELOW(3, TENDER_SV_DEV_CAPACITY) } },
    { TENDER_SYSCALL(pwrite64), 2, { TENDER_FD_IS(TENDER_SV_DEV_FD),
        TENDER_ARG_BELOW(3, TENDER_SV_DEV_CAPACITY) } },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define N_CORE (N(hvt_core_rules) + 2 + 10)

/* The core rules, the architecture's pc read, the slot for memory on
 * demand while there is one to come, plus the rings' when offered (their
 * fds are constants). */
static size_t hvt_seccomp_core(const struct hvt *h,
        struct tender_seccomp_rule *rules)
{
    const struct tender_seccomp_rule pc = {
        TENDER_SYSCALL(ioctl), 2, { TENDER_FD_IS(TENDER_SV_VCPUFD),
            TENDER_ARG_IS(1, hvt_pc_ioctl) } };
    const struct tender_seccomp_rule slot = {
        TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, (uint64_t)h->vm_fd),
            TENDER_ARG_IS(1, KVM_SET_USER_MEMORY_REGION) } };
    const struct tender_seccomp_rule ring[] = {
        { TENDER_SYSCALL(read), 1, { TENDER_ARG_IS(0, (uint64_t)h->ring_kick_fd) } },
        { TENDER_SYSCALL(epoll_pwait), 1, { TENDER_ARG_IS(0, (uint64_t)h->ring_poll_fd) } },
        { TENDER_SYSCALL(epoll_pwait), 1, { TENDER_ARG_IS(0, (uint64_t)h->ring_watch_fd) } },
        { TENDER_SYSCALL(write), 1, { TENDER_ARG_IS(0, (uint64_t)h->ring_rx_fd) } },
        { TENDER_SYSCALL(read), 1, { TENDER_ARG_IS(0, (uint64_t)h->ring_rx_fd) } },
        { TENDER_SYSCALL(write), 1, { TENDER_ARG_IS(0, (uint64_t)h->ring_kick_fd) } },
        { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, (uint64_t)h->vm_fd),
            TENDER_ARG_IS(1, KVM_IOEVENTFD) } },
        { TENDER_SYSCALL(sched_yield), 0, { { 0 } } },
        { TENDER_SYSCALL(sched_setaffinity), 1, { TENDER_ARG_IS(0, 0) } },
        { TENDER_SYSCALL(getcpu), 0, { { 0 } } },
    };
    size_t n = N(hvt_core_rules);

    _Static_assert(N(ring) == N_CORE - N(hvt_core_rules) - 2, "N_CORE");
    memcpy(rules, hvt_core_rules, sizeof(hvt_core_rules));
    rules[n++] = pc;
    if (h->slot.low_end < h->slot.high_start && !h->slot.rest_online)
        rules[n++] = slot;
    if (h->ring == NULL)
        return n;
    memcpy(rules + n, ring, sizeof(ring));
    return n + N(ring);
}

int hvt_seccomp_install(struct tender *t, struct tender_err *err)
{
    /* Static: ~32 KiB is too much for the stack, and it is built once. */
    static struct sock_filter insns[BPF_MAXINSNS];
    struct tender_seccomp_rule core[N_CORE];
    struct sock_fprog prog = { .filter = insns }, bounds = { .len = 0 };
    const struct hvt *h = hvt_of(t);
    struct tender_seccomp_policy policy = {
        .core = core, .n_core = hvt_seccomp_core(h, core),
        .net = hvt_net_rules, .n_net = N(hvt_net_rules),
        .block = hvt_block_rules, .n_block = N(hvt_block_rules),
        .block_levels = 0,      /* no bounds filter: see above */
        /* solo5-hvt-debug only (docs/debugging.md); none in solo5-hvt. */
        .extra = h->hooks != NULL ? h->hooks->seccomp_rules : NULL,
        .n_extra = h->hooks != NULL ? h->hooks->n_seccomp_rules : 0,
        .values = {
            [TENDER_SV_VCPUFD] = (uint64_t)h->vcpu_fd,
            [TENDER_SV_EPOLLFD] = (uint64_t)h->epoll_fd,
            [TENDER_SV_TIMERFD] = (uint64_t)h->timer_fd,
        },
    };

    if (tender_seccomp_build(t, &policy, &prog, &bounds, BPF_MAXINSNS,
                err) != 0)
        return -1;
    /* The I/O thread (hvt_boot.c started it) is asleep; the filter is
     * installed for both threads, and only then is the thread woken. */
    if (h->ring != NULL)
        hvt_ring_wait_up(hvt_of(t));
    if (tender_seccomp_install(&prog, &bounds, err) != 0)
        return -1;
    if (h->ring != NULL)
        hvt_ring_go(hvt_of(t));
    return 0;
}
