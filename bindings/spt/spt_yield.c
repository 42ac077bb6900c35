/*
 * spt_yield.c: solo5_yield() on an epoll set that the tender prepared.
 *
 * The tender registered every net device's fd (tag: its manifest index) and
 * an internal timerfd (tag: SPT_INTERNAL_TIMERFD) in the epoll set.  Arming
 * the timer with an absolute deadline makes one epoll_pwait(-1) wait for
 * "deadline or input"; re-arming also clears an earlier expiry.
 */
#include "spt.h"

static int spt_epollfd = -1;
static int spt_timerfd = -1;
static int spt_net_count;

void spt_yield_init(const struct spt_boot_info *bi, const struct mft *mft)
{
    spt_epollfd = bi->epollfd;
    spt_timerfd = bi->timerfd;
    spt_net_count = 0;
    for (unsigned i = 0; mft != NULL && i < mft->entries && i < MFT_MAX_ENTRIES;
            i++) {
        if (mft->e[i].type == MFT_DEV_NET_BASIC && mft->e[i].attached)
            spt_net_count++;
    }
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    struct spt_itimerspec its = { { 0, 0 }, { 0, 0 } };
    uint64_t tags[MFT_MAX_ENTRIES + 1];
    solo5_handle_set_t ready = 0;
    /* An all-zero it_value would disarm the timer: never pass one. */
    uint64_t ns = deadline | 1;
    long n;

    its.it_value.tv_sec = (long)(ns / SPT_NSEC_PER_SEC);
    its.it_value.tv_nsec = (long)(ns % SPT_NSEC_PER_SEC);
    if (spt_sys_timerfd_settime(spt_timerfd, SPT_TFD_TIMER_ABSTIME, &its) != 0)
        BINDINGS_PANIC("timerfd_settime failed");

    do {
        n = spt_sys_epoll_pwait_tags(spt_epollfd, tags, spt_net_count + 1);
    } while (n == -SPT_EINTR);
    if (n < 0)
        BINDINGS_PANIC("epoll_pwait failed (%ld)", -n);

    for (long i = 0; i < n; i++) {
        if (tags[i] < MFT_MAX_ENTRIES)
            ready |= 1ULL << tags[i];
    }
    if (ready_set != NULL)
        *ready_set = ready;
}
