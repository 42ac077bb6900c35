/*
 * hvt_hypercall.c: hypercalls 1..8 (ref §2.6).
 *
 * Each handler copies its argument struct out of guest memory, works on
 * the copy, and writes it back: every guest pointer (the struct itself and
 * any buffer it names) goes through hvt_gpa() first, for reading or for
 * writing.  A malformed request ends the guest (status 1); a well-formed
 * but wrong one (bad handle, offset, size) gets SOLO5_R_EINVAL.
 *
 * Beyond upstream: block requests must be whole blocks at block-aligned
 * offsets (any number of blocks per call), and net writes at most
 * mtu + SOLO5_NET_HLEN bytes.  Block and net hypercalls exist only if the
 * manifest has such a device (as upstream).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hvt.h"
#include "solo5.h"
#include "tender_mft.h"
#include "tender_modules.h"

#define NSEC_PER_SEC 1000000000ULL
/* epoll data of the POLL sets' own fds (devices: their manifest index). */
#define POLL_EV_TIMER UINT64_MAX
#define POLL_EV_RING_RX (UINT64_MAX - 1)

/* Points *arg at a checked host copy location of the guest struct. */
static void *hvt_arg(struct hvt *h, uint64_t gpa, size_t size,
        enum hvt_access access, void *copy, struct tender_err *err)
{
    void *p = hvt_gpa(h, gpa, size, access, err);

    if (p != NULL)
        memcpy(copy, p, size);
    return p;
}

static int hvt_walltime(struct hvt *h, uint64_t gpa, struct tender_err *err)
{
    struct hvt_hc_walltime a;
    struct timespec ts;
    void *p = hvt_arg(h, gpa, sizeof(a), HVT_WRITE, &a, err);

    if (p == NULL)
        return -1;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return tender_err_set(err, "clock_gettime: %s", strerror(errno));
    a.nsecs = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    memcpy(p, &a, sizeof(a));
    return 0;
}

static int hvt_puts(struct hvt *h, uint64_t gpa, struct tender_err *err)
{
    struct hvt_hc_puts a;
    const uint8_t *data;

    if (hvt_arg(h, gpa, sizeof(a), HVT_READ, &a, err) == NULL)
        return -1;
    data = hvt_gpa(h, a.data, a.len, HVT_READ, err);
    if (data == NULL)
        return -1;
    /* After what the guest queued in the console ring (a write too big
     * for it comes here). */
    if (h->console != NULL && hvt_console_flush(h, err) != 0)
        return -1;
    /* Console output is best effort: what cannot be written is lost.  (A
     * stdout whose reader is gone ends the tender with SIGPIPE, as it
     * would any program writing to a pipe.) */
    while (a.len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, a.len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        data += n;
        a.len -= (size_t)n;
    }
    return 0;
}

/* POLL with I/O rings: frames reach the guest through the RX rings, filled
 * here from the taps (the set has them, level-triggered) or by the I/O
 * thread, which then signals ring_rx_fd.  Ends with frames or at the
 * timer. */
static int hvt_poll_ring(struct tender *t, void *p, struct hvt_hc_poll *a,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct epoll_event ev[MFT_MAX_ENTRIES + 2];
    uint64_t ready;
    bool timer = false;
    int n;

    if (hvt_ring_poll_begin(h, &ready, err) != 0)
        return -1;
    while (ready == 0 && !timer) {
        n = epoll_pwait(h->ring_poll_fd, ev, MFT_MAX_ENTRIES + 2, -1, NULL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return tender_err_set(err, "epoll_pwait: %s", strerror(errno));
        for (int i = 0; i < n; i++)
            timer |= ev[i].data.u64 == POLL_EV_TIMER;
        if (hvt_ring_poll_fill(h, &ready, err) != 0)
            return -1;
    }
    a->ready_set = hvt_ring_poll_end(h);
    a->ret = __builtin_popcountll(a->ready_set);
    memcpy(p, a, sizeof(*a));
    return 0;
}

static int hvt_poll(struct tender *t, uint64_t gpa, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct epoll_event ev[MFT_MAX_ENTRIES];
    struct itimerspec its = { 0 };
    struct hvt_hc_poll a;
    void *p = hvt_arg(h, gpa, sizeof(a), HVT_WRITE, &a, err);
    int n;

    if (p == NULL)
        return -1;
    /* Relative; never 0, which would disarm the timer. */
    a.timeout_nsecs |= 1;
    its.it_value.tv_sec = (time_t)(a.timeout_nsecs / NSEC_PER_SEC);
    its.it_value.tv_nsec = (long)(a.timeout_nsecs % NSEC_PER_SEC);
    if (timerfd_settime(h->timer_fd, 0, &its, NULL) != 0)
        return tender_err_set(err, "timerfd_settime: %s", strerror(errno));
    if (h->ring != NULL && hvt_ring_guest_on(h))
        return hvt_poll_ring(t, p, &a, err);
    do {
        n = epoll_pwait(h->epoll_fd, ev, MFT_MAX_ENTRIES, -1, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return tender_err_set(err, "epoll_pwait: %s", strerror(errno));
    a.ready_set = 0;
    a.ret = 0;
    for (int i = 0; i < n; i++) {
        /* data.u64 is the manifest index; the timer is not a device. */
        if (ev[i].data.u64 < t->mft->entries) {
            a.ready_set |= 1ULL << ev[i].data.u64;
            a.ret++;
        }
    }
    memcpy(p, &a, sizeof(a));
    return 0;
}

/* The attached device of `type` with handle `handle`, or NULL. */
static const struct mft_entry *hvt_device(struct tender *t, uint64_t handle,
        enum mft_type type)
{
    const struct mft_entry *e;

    if (handle == 0 || handle >= t->mft->entries)
        return NULL;
    e = &t->mft->e[handle];
    return e->type == type && e->attached ? e : NULL;
}

/* BLOCK_WRITE and BLOCK_READ share their layout (checked statically). */
_Static_assert(sizeof(struct hvt_hc_block_write) ==
        sizeof(struct hvt_hc_block_read), "block structs differ");

static int hvt_block(struct tender *t, uint64_t gpa, bool write,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_hc_block_read a;
    const struct mft_entry *e;
    void *p = hvt_arg(h, gpa, sizeof(a), HVT_WRITE, &a, err);
    uint8_t *data;

    if (p == NULL)
        return -1;
    e = hvt_device(t, a.handle, MFT_DEV_BLOCK_BASIC);
    a.ret = SOLO5_R_EINVAL;
    if (e == NULL)
        goto out;
    if (!tender_block_request_ok(e, a.offset, a.len))
        goto out;
    data = hvt_gpa(h, a.data, a.len, write ? HVT_READ : HVT_WRITE, err);
    if (data == NULL)
        return -1;
    a.ret = tender_block_serve(t, e, write, data, a.offset, a.len);
out:
    memcpy(p, &a, sizeof(a));
    return 0;
}

static int hvt_net_write(struct tender *t, uint64_t gpa,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_hc_net_write a;
    const struct mft_entry *e;
    void *p = hvt_arg(h, gpa, sizeof(a), HVT_WRITE, &a, err);
    const uint8_t *data;
    ssize_t n;

    if (p == NULL)
        return -1;
    e = hvt_device(t, a.handle, MFT_DEV_NET_BASIC);
    a.ret = SOLO5_R_EINVAL;
    if (e == NULL || a.len == 0 ||
            a.len > (uint64_t)e->u.net_basic.mtu + SOLO5_NET_HLEN)
        goto out;
    data = hvt_gpa(h, a.data, a.len, HVT_READ, err);
    if (data == NULL)
        return -1;
    do {
        n = write(e->b.hostfd, data, a.len);
    } while (n < 0 && errno == EINTR);
    a.ret = SOLO5_R_OK;
    if (n < 0) {
        switch (tender_net_fault(e, true, errno, err)) {
        case TENDER_NET_AGAIN:
            break;                      /* dropped, as by a full NIC */
        case TENDER_NET_DOWN:
            a.ret = SOLO5_R_EUNSPEC;    /* as spt's guest sees it */
            break;
        case TENDER_NET_FATAL:
            return -1;
        }
    } else if ((size_t)n != a.len) {
        return tender_err_set(err, "%s: the tap took %zd of %zu bytes",
                e->name, n, (size_t)a.len);
    }
out:
    memcpy(p, &a, sizeof(a));
    return 0;
}

static int hvt_net_read(struct tender *t, uint64_t gpa,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_hc_net_read a;
    const struct mft_entry *e;
    void *p = hvt_arg(h, gpa, sizeof(a), HVT_WRITE, &a, err);
    uint8_t *data;
    ssize_t n;

    if (p == NULL)
        return -1;
    e = hvt_device(t, a.handle, MFT_DEV_NET_BASIC);
    a.ret = SOLO5_R_EINVAL;
    if (e == NULL || a.len == 0 || a.len > SSIZE_MAX)
        goto out;
    data = hvt_gpa(h, a.data, a.len, HVT_WRITE, err);
    if (data == NULL)
        return -1;
    do {
        n = read(e->b.hostfd, data, a.len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && tender_net_fault(e, false, errno, err) == TENDER_NET_FATAL)
        return -1;
    if (n <= 0) {
        a.ret = SOLO5_R_AGAIN;
    } else {
        a.len = (size_t)n;
        a.ret = SOLO5_R_OK;
    }
out:
    memcpy(p, &a, sizeof(a));
    return 0;
}

static int hvt_halt(struct hvt *h, uint64_t gpa, int *status,
        struct tender_err *err)
{
    struct hvt_hc_halt a;

    if (hvt_arg(h, gpa, sizeof(a), HVT_READ, &a, err) == NULL)
        return -1;
    /* A trap's cookie is its register frame: it must be all there. */
    if (a.cookie != 0 && hvt_gpa(h, a.cookie, HVT_HALT_COOKIE_MAX, HVT_READ,
                err) == NULL)
        return -1;
    /* The process status is 8 bits; -1 (error) must not escape as such. */
    *status = a.exit_status & 0xff;
    if (h->ring != NULL)
        return hvt_ring_drain(h, err) != 0 ? -1 : 1;
    return 1;
}

int hvt_hypercall(struct tender *t, unsigned nr, uint64_t gpa, int *status,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);

    /* What the guest queued in the rings leaves with any exit. */
    if (h->ring != NULL && hvt_ring_at_exit(h, err) != 0)
        return -1;
    switch (nr) {
    case HVT_HYPERCALL_WALLTIME:
        return hvt_walltime(h, gpa, err);
    case HVT_HYPERCALL_PUTS:
        return hvt_puts(h, gpa, err);
    case HVT_HYPERCALL_POLL:
        return hvt_poll(t, gpa, err);
    case HVT_HYPERCALL_BLOCK_WRITE:
    case HVT_HYPERCALL_BLOCK_READ:
        if (!h->has_block)
            break;
        return hvt_block(t, gpa, nr == HVT_HYPERCALL_BLOCK_WRITE, err);
    case HVT_HYPERCALL_NET_WRITE:
        if (!h->has_net)
            break;
        return hvt_net_write(t, gpa, err);
    case HVT_HYPERCALL_NET_READ:
        if (!h->has_net)
            break;
        return hvt_net_read(t, gpa, err);
    case HVT_HYPERCALL_HALT:
        return hvt_halt(h, gpa, status, err);
    default:
        break;
    }
    return tender_err_set(err, "Invalid guest hypercall: num=%u", nr);
}

/* The POLL machinery: a timer and every NET device in one epoll set; with
 * I/O rings a second one, the same plus the rings' eventfd (hvt_ring.c),
 * for once the guest uses them.  The I/O thread sleeps on the taps too
 * (hvt_ring_watch_tap()): a frame wakes both threads when both wait, so
 * that the I/O thread is awake when the guest's answer comes. */
int hvt_poll_setup(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = POLL_EV_TIMER };
    struct epoll_event rx = { .events = EPOLLIN, .data.u64 = POLL_EV_RING_RX };

    h->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (h->epoll_fd < 0)
        return tender_err_set(err, "epoll_create1: %s", strerror(errno));
    h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (h->timer_fd < 0)
        return tender_err_set(err, "timerfd_create: %s", strerror(errno));
    if (epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, h->timer_fd, &ev) != 0)
        return tender_err_set(err, "epoll_ctl(timerfd): %s", strerror(errno));
    if (h->ring != NULL) {
        h->ring_poll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (h->ring_poll_fd < 0 || epoll_ctl(h->ring_poll_fd, EPOLL_CTL_ADD,
                    h->timer_fd, &ev) != 0 || epoll_ctl(h->ring_poll_fd,
                    EPOLL_CTL_ADD, h->ring_rx_fd, &rx) != 0)
            return tender_err_set(err, "epoll (rings): %s", strerror(errno));
        if (hvt_ring_watch_setup(h, err) != 0)
            return -1;
    }
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];

        if (!e->attached)
            continue;
        if (e->type == MFT_DEV_BLOCK_BASIC)
            h->has_block = true;
        if (e->type != MFT_DEV_NET_BASIC)
            continue;
        h->has_net = true;
        ev.data.u64 = i;
        if (epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, e->b.hostfd, &ev) != 0 ||
                (h->ring != NULL && epoll_ctl(h->ring_poll_fd, EPOLL_CTL_ADD,
                    e->b.hostfd, &ev) != 0))
            return tender_err_set(err, "%s: epoll_ctl: %s", e->name,
                    strerror(errno));
        if (h->ring != NULL && hvt_ring_watch_tap(h, e->b.hostfd, err) != 0)
            return -1;
    }
    return 0;
}
