/*
 * hvt_ring.c: the I/O rings (HVT_FEATURE_IO_RINGS, docs/kvm-pvm.md "I/O
 * rings"): net frames and block requests without a VM exit each.
 *
 * On kvm-pvm every exit to the tender costs ~40-50 us (docs/performance.md),
 * so solo5-hvt offers the guest a shared area (struct hvt_ring_area, in
 * hvt_abi.h) beyond mem_size, served by an I/O thread of the tender:
 *
 *   - TX: the guest queues frames; the thread writes them to the tap.
 *   - RX: the thread reads the taps into the RX rings, on its rounds and
 *     when a frame wakes it from its sleep (taps_watched); the guest takes
 *     frames without exiting.  A guest that waits for frames spins for a
 *     while (bounded by --busy-poll, hvt_options.c), then waits in POLL,
 *     where the vCPU thread reads the taps itself (or is woken by the
 *     thread through an eventfd).
 *   - Block: one request at a time, pread/pwrite straight into guest memory
 *     (every buffer through hvt_gpa()), completion in the same struct.
 *
 * The thread spins for HVT_RING_SPIN_US after its last work, then sets
 * kick_wanted and sleeps until a kick or a frame on a tap (an epoll set of
 * the kick eventfd and the taps; on the kick alone while an RX ring is
 * full).  The guest kicks (x86_64: a 32-bit `out` to HVT_RING_KICK_PORT)
 * only when it sees kick_wanted; KVM_IOEVENTFD turns that kick into an
 * eventfd signal
 * inside the kernel, without a return to this process (if the kernel
 * refuses, the exit reaches hvt_exit_<arch>.c, which signals the eventfd
 * itself).
 *
 * A device's TX and RX are each served by whichever thread takes them
 * first (hvt_ring_take()): the I/O thread on its rounds, the vCPU thread in
 * POLL and at HALT.  A reply the guest queued before waiting thus leaves
 * with the POLL exit even when the I/O thread has no CPU (on a small host
 * it may share the vCPU thread's, which then does not give it up).  The
 * block request likewise (a try-lock of its own), by the vCPU thread at
 * any exit: a guest whose request sees no progress makes one.
 *
 * The area also carries the console ring (hvt_console.c), which the thread
 * writes out on its rounds like a TX ring.
 *
 * Everything the guest writes is read once into a local copy and checked;
 * a malformed entry ends the guest with status 1 and a message, exactly
 * like a malformed hypercall.  The thread is created asleep, before the
 * seccomp filter exists; the vCPU thread installs the filter for both
 * (SECCOMP_FILTER_FLAG_TSYNC: one filter, compiled once) and only then
 * wakes it (hvt_ring_go()), so it never touches the rings unfiltered.  It
 * then spins until the guest turns the rings on (at most
 * HVT_RING_BOOT_SPIN_US) and for HVT_RING_SPIN_US after, so that the boot
 * messages that follow go out without a kick: a kick is an exit, ~80 us at
 * every start (docs/performance.md, Round 6).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvt.h"
#include "solo5.h"
#include "tender_modules.h"

/* The kick's tag in the thread's sleep set (taps carry 0). */
#define HVT_RING_WATCH_KICK 1
/* Kick exits before the kick gets a KVM_IOEVENTFD (hvt_ring_kick_exit()). */
#define HVT_RING_KICKS_BEFORE_IOEVENTFD 64
/* How long the I/O thread keeps polling after its last piece of work
 * (hvt_ring_nap()): while its sleeps are short (traffic in bursts less
 * than HVT_RING_DENSE_US apart), long enough to bridge the gaps, whose
 * every wake-up costs tens of microseconds here and lets the tap's queue
 * overflow; otherwise only long enough for a spinning guest's answer to
 * the frame it just got, since a frame, not only a kick, wakes it (200 us
 * always, before: 20 % of a CPU at 500 pings/s instead of 12 %,
 * docs/performance.md "Round 3"). */
#define HVT_RING_SPIN_US 50
/* ... and once a guest that waited in POLL has frames (answer_due): traced
 * with pings, the guest re-entered KVM_RUN 30-33 us after the frame and
 * queued its answer 40-90 us after that, when the thread, done spinning at
 * 54-59 us, slept; the guest's kick woke it again on an idle CPU and the
 * reply left at 102-129 us, against 69-71 with this spin
 * (docs/performance.md, "Round 9": median RTT 134 -> 91-96 us; the
 * tender's CPU at 500 pings/s 11-16 -> 16-19 %). */
#define HVT_RING_SPIN_ANSWER_US 200
/* From the start until the guest turns the rings on, at most. */
#define HVT_RING_BOOT_SPIN_US 2000
#define HVT_RING_SPIN_DENSE_US 200
#define HVT_RING_DENSE_US 1000
/* ... of which, after a block request, the first part without giving up
 * the CPU (hvt_ring_thread()). */
#define HVT_RING_BUSY_US 20
#define HVT_RING_AREA_ALIGN 4096ULL
/* Of the console ring, what hvt_ring_prefault() faults in. */
#define HVT_RING_PREFAULT_CONSOLE 16384ULL
_Static_assert(HVT_RING_PREFAULT_CONSOLE <= HVT_RING_CONSOLE_SIZE,
        "the prefault stays inside the console ring");

struct hvt_ring_dev {
    const struct mft_entry *e;
    unsigned handle;
    uint32_t frame_max;         /* mtu + SOLO5_NET_HLEN */
    uint8_t *tx, *rx;           /* host addresses of the slots */
    uint32_t tx_tail, rx_head;  /* the tender's own indices (private copy) */
    bool rx_blocked;            /* RX ring was full: tap not drained */
    /* Who serves TX / RX right now (hvt_ring_take()): the indices above and
     * the tap's write / read side belong to the holder. */
    int tx_busy, rx_busy;
};

/* Until the guest sets guest_on, the thread serves TX and block requests
 * (only a ring-aware guest makes them) but leaves the taps alone. */

struct hvt_ring {
    struct tender *t;
    uint8_t *mem;               /* the area's host mapping */
    uint64_t gpa, size;
    struct hvt_ring_area *area;
    uint32_t slot_size;
    unsigned n_net;
    struct hvt_ring_dev net[MFT_MAX_ENTRIES];
    uint32_t block_done;        /* last completed request seq */
    int block_busy;             /* who serves it (hvt_ring_take()) */
    bool on;                    /* the guest set guest_on: taps are ours */
    /* Set by the vCPU thread when POLL hands the guest frames: the I/O
     * thread spins for the answer (HVT_RING_SPIN_ANSWER_US). */
    bool answer_due;
    uint32_t heartbeat;         /* the thread's rounds (area->io_heartbeat) */
    uint64_t spin_cycles;       /* the spin now: sparse, dense or answer */
    uint64_t busy_cycles;       /* the pause loop after a block request */
    uint64_t sparse_cycles, dense_cycles, dense_gap_cycles, answer_cycles;
    uint64_t boot_spin_cycles;  /* HVT_RING_BOOT_SPIN_US */
    pthread_t thread;
    sem_t up;                   /* posted once the thread runs its own code */
};

static uint32_t hvt_ring_load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void hvt_ring_store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Before a fatal message: the console bytes the guest queued go out first,
 * unless the console ring itself is what is malformed. */
static void hvt_ring_console_last(const struct hvt_ring *r)
{
    struct tender_err ignored;
    bool work;

    (void)hvt_console_out(hvt_of(r->t), &work, &ignored);
}

/* The thread cannot return an error to the run loop while the vCPU runs:
 * it says what went wrong as the run loop would, and ends the process. */
static void hvt_ring_fatal(const struct hvt_ring *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void hvt_ring_fatal(const struct hvt_ring *r, const char *fmt, ...)
{
    char buf[TENDER_ERR_MSG_SIZE + 64];
    int n = snprintf(buf, sizeof(buf), "%s: ", r->t->backend->name);
    va_list ap;

    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    hvt_ring_console_last(r);
    (void)!write(STDERR_FILENO, buf, (size_t)n);
    _exit(1);
}

static uint32_t hvt_ring_slot_size(const struct tender *t)
{
    uint32_t max = 0;

    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];

        uint32_t frame = (uint32_t)e->u.net_basic.mtu + SOLO5_NET_HLEN;

        if (e->type == MFT_DEV_NET_BASIC && e->attached && frame > max)
            max = frame;
    }
    return (HVT_RING_SLOT_HDR + max + 63) & ~63U;
}

/*
 * The area's header and the start of the console ring are in memory
 * before the guest runs: every guest touches them at boot, and on kvm-pvm
 * KVM maps a guest page at its first touch together with the neighbours
 * (an aligned group of 8) that the host has already faulted in, else one
 * ~25 us fault each (docs/performance.md, "Round 5").  Advice: ignored
 * where the kernel lacks MADV_POPULATE_WRITE.
 */
static void hvt_ring_prefault(struct hvt_ring *r, uint64_t console)
{
    (void)madvise(r->mem, console + HVT_RING_PREFAULT_CONSOLE,
            MADV_POPULATE_WRITE);
}

/* The area beyond guest memory and each NET device's slots in it. */
int hvt_ring_layout(struct tender *t, struct hvt_ring **ring,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_ring *r;
    uint64_t off, console, n_net = 0, need;

    *ring = NULL;
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];

        n_net += e->attached && e->type == MFT_DEV_NET_BASIC;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return tender_err_set(err, "out of memory for the I/O rings");
    r->t = t;
    r->slot_size = hvt_ring_slot_size(t);
    console = (sizeof(struct hvt_ring_area) + HVT_RING_AREA_ALIGN - 1) &
        ~(HVT_RING_AREA_ALIGN - 1);
    off = console + HVT_RING_CONSOLE_SIZE;
    need = off + n_net * 2 * HVT_RING_SLOTS * (uint64_t)r->slot_size;
    r->size = (need + HVT_MEM_ALIGN - 1) & ~(HVT_MEM_ALIGN - 1);
    r->gpa = h->mem_size;
    /* No room in the page tables: hypercalls only. */
    if (r->size > HVT_MEM_MAX - r->gpa) {
        free(r);
        return 0;
    }
    r->mem = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r->mem == MAP_FAILED) {
        tender_err_set(err, "Could not allocate %llu bytes for the I/O "
                "rings: %s", (unsigned long long)r->size, strerror(errno));
        free(r);
        return -1;
    }
    r->area = (struct hvt_ring_area *)r->mem;
    hvt_ring_prefault(r, console);
    /* Until hvt_ring_go(), the thread is asleep. */
    r->area->kick_wanted = 1;
    r->area->busy_poll_us = h->busy_poll_us;
    if (hvt_console_layout(h, &r->area->console, r->mem + console,
                r->gpa + console, err) != 0) {
        hvt_ring_free(r);
        return -1;
    }
    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];
        struct hvt_ring_dev *d = &r->net[r->n_net];
        struct hvt_ring_net *n = &r->area->net[i];
        uint64_t bytes = HVT_RING_SLOTS * (uint64_t)r->slot_size;

        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            continue;
        d->e = e;
        d->handle = i;
        d->frame_max = (uint32_t)(e->u.net_basic.mtu + SOLO5_NET_HLEN);
        d->tx = r->mem + off;
        d->rx = r->mem + off + bytes;
        n->slots = HVT_RING_SLOTS;
        n->slot_size = r->slot_size;
        n->tx = r->gpa + off;
        n->rx = r->gpa + off + bytes;
        off += 2 * bytes;
        r->n_net++;
    }
    r->sparse_cycles = h->cycle_hz / 1000000 * HVT_RING_SPIN_US;
    r->dense_cycles = h->cycle_hz / 1000000 * HVT_RING_SPIN_DENSE_US;
    r->dense_gap_cycles = h->cycle_hz / 1000000 * HVT_RING_DENSE_US;
    r->answer_cycles = h->cycle_hz / 1000000 * HVT_RING_SPIN_ANSWER_US;
    r->spin_cycles = r->sparse_cycles;
    r->busy_cycles = h->cycle_hz / 1000000 * HVT_RING_BUSY_US;
    r->boot_spin_cycles = h->cycle_hz / 1000000 * HVT_RING_BOOT_SPIN_US;
    *ring = r;
    return 0;
}

void hvt_ring_free(struct hvt_ring *r)
{
    if (r == NULL)
        return;
    hvt_console_free(hvt_of(r->t));
    munmap(r->mem, r->size);
    free(r);
}

int hvt_ring_setup(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_ring *r;

    if (hvt_ring_layout(t, &r, err) != 0)
        return -1;
    if (r == NULL)
        return 0;
    /* Registered after guest memory's slot (hvt_kvm_slot.c). */
    hvt_kvm_slot_later(h, r->gpa, r->size, r->mem, "I/O rings");

    /* The thread sleeps in a blocking read of the kick eventfd. */
    h->ring_kick_fd = eventfd(0, EFD_CLOEXEC);
    h->ring_rx_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (h->ring_kick_fd < 0 || h->ring_rx_fd < 0)
        return tender_err_set(err, "I/O rings: eventfd: %s",
                strerror(errno));
    /* No KVM_IOEVENTFD yet: hvt_ring_kick_exit(). */
    h->ring = r;
    return 0;
}

uint64_t hvt_ring_gpa(const struct hvt *h)
{
    return h->ring != NULL ? h->ring->gpa : 0;
}

uint64_t hvt_ring_size(const struct hvt *h)
{
    return h->ring != NULL ? h->ring->size : 0;
}

struct hvt_ring_area *hvt_ring_host_area(const struct hvt *h)
{
    return h->ring != NULL ? h->ring->area : NULL;
}

/* Try-locks of a device's TX or RX: the loser skips, the holder serves
 * everything that is queued. */
static bool hvt_ring_take(int *busy)
{
    return __atomic_exchange_n(busy, 1, __ATOMIC_ACQUIRE) == 0;
}

static void hvt_ring_give(int *busy)
{
    __atomic_store_n(busy, 0, __ATOMIC_RELEASE);
}

/* TX: every frame the guest queued on device d goes to its tap; *work
 * tells whether there were any. */
static int hvt_ring_tx_held(struct hvt_ring *r, struct hvt_ring_dev *d,
        bool *work, struct tender_err *err)
{
    struct hvt_ring_net *n = &r->area->net[d->handle];
    uint32_t head = hvt_ring_load(&n->tx_head);

    *work = false;
    if (head - d->tx_tail > HVT_RING_SLOTS)
        return tender_err_set(err, "%s: Invalid I/O ring index: tx_head=%u, "
                "tx_tail=%u", d->e->name, head, d->tx_tail);
    while (d->tx_tail != head) {
        uint8_t *slot = d->tx + (d->tx_tail % HVT_RING_SLOTS) * r->slot_size;
        uint32_t len = __atomic_load_n((uint32_t *)slot, __ATOMIC_RELAXED);
        ssize_t w;

        if (len == 0 || len > d->frame_max)
            return tender_err_set(err, "%s: Invalid I/O ring frame: len=%u "
                    "(mtu %u)", d->e->name, len,
                    d->frame_max - SOLO5_NET_HLEN);
        do {
            w = write(d->e->b.hostfd, slot + HVT_RING_SLOT_HDR, len);
        } while (w < 0 && errno == EINTR);
        /* A full queue or a tap that is down drops the frame, as a NIC
         * would; the ring has no result per frame. */
        if (w < 0 && tender_net_fault(d->e, true, errno, err) ==
                TENDER_NET_FATAL)
            return -1;
        d->tx_tail++;
        *work = true;
    }
    if (*work)
        hvt_ring_store(&n->tx_tail, d->tx_tail);
    return 0;
}

static int hvt_ring_tx(struct hvt_ring *r, struct hvt_ring_dev *d,
        bool *work, struct tender_err *err)
{
    int rc;

    *work = false;
    if (!hvt_ring_take(&d->tx_busy))
        return 0;
    rc = hvt_ring_tx_held(r, d, work, err);
    hvt_ring_give(&d->tx_busy);
    return rc;
}

/* RX: frames from the tap into free slots; *work tells whether any
 * arrived. */
static int hvt_ring_rx_held(struct hvt_ring *r, struct hvt_ring_dev *d,
        bool *work, struct tender_err *err)
{
    struct hvt_ring_net *n = &r->area->net[d->handle];

    *work = false;
    for (;;) {
        uint32_t tail = hvt_ring_load(&n->rx_tail);
        uint8_t *slot;
        ssize_t got;

        if (d->rx_head - tail > HVT_RING_SLOTS)
            return tender_err_set(err, "%s: Invalid I/O ring index: "
                    "rx_tail=%u, rx_head=%u", d->e->name, tail, d->rx_head);
        __atomic_store_n(&d->rx_blocked, d->rx_head - tail == HVT_RING_SLOTS,
                __ATOMIC_RELAXED);
        if (d->rx_head - tail == HVT_RING_SLOTS)
            break;
        slot = d->rx + (d->rx_head % HVT_RING_SLOTS) * r->slot_size;
        do {
            got = read(d->e->b.hostfd, slot + HVT_RING_SLOT_HDR,
                    r->slot_size - HVT_RING_SLOT_HDR);
        } while (got < 0 && errno == EINTR);
        if (got < 0 && tender_net_fault(d->e, false, errno, err) ==
                TENDER_NET_FATAL)
            return -1;
        if (got <= 0)
            break;
        __atomic_store_n((uint32_t *)slot, (uint32_t)got, __ATOMIC_RELAXED);
        d->rx_head++;
        hvt_ring_store(&n->rx_head, d->rx_head);
        *work = true;
    }
    return 0;
}

static int hvt_ring_rx(struct hvt_ring *r, struct hvt_ring_dev *d,
        bool *work, struct tender_err *err)
{
    int rc;

    *work = false;
    if (!hvt_ring_take(&d->rx_busy))
        return 0;
    rc = hvt_ring_rx_held(r, d, work, err);
    hvt_ring_give(&d->rx_busy);
    return rc;
}

/* The attached BLOCK device `handle`, or NULL. */
static const struct mft_entry *hvt_ring_block_dev(const struct tender *t,
        uint64_t handle)
{
    const struct mft_entry *e;

    if (handle == 0 || handle >= t->mft->entries)
        return NULL;
    e = &t->mft->e[handle];
    return e->type == MFT_DEV_BLOCK_BASIC && e->attached ? e : NULL;
}

/* The guest's block request, if it made a new one; *work tells.  The I/O
 * thread (beat) advances its heartbeat as it takes the request: a guest
 * waiting for a long one then knows the thread has it and is not without
 * a CPU (bindings/hvt/hvt_ring.c, hvt_ring_block_wait()). */
static int hvt_ring_block(struct hvt_ring *r, bool beat, bool *work,
        struct tender_err *err)
{
    struct hvt_ring_block *b = &r->area->block;
    uint32_t seq = hvt_ring_load(&b->seq);
    struct hvt_ring_block q;
    const struct mft_entry *e;
    uint8_t *data;
    bool write;

    *work = false;
    if (seq == r->block_done)
        return 0;
    memcpy(&q, b, offsetof(struct hvt_ring_block, guest_pad));
    if (seq != r->block_done + 1)
        return tender_err_set(err, "Invalid I/O ring block request: seq=%u, "
                "expected %u", seq, r->block_done + 1);
    if (q.op != HVT_RING_BLOCK_READ && q.op != HVT_RING_BLOCK_WRITE)
        return tender_err_set(err, "Invalid I/O ring block request: op=%u",
                q.op);
    write = q.op == HVT_RING_BLOCK_WRITE;
    e = hvt_ring_block_dev(r->t, q.handle);
    if (e == NULL)
        return tender_err_set(err, "Invalid I/O ring block request: "
                "handle=%llu", (unsigned long long)q.handle);
    if (!tender_block_request_ok(e, q.offset, q.len))
        return tender_err_set(err, "%s: Invalid I/O ring block request: "
                "offset=%llu, len=%llu", e->name,
                (unsigned long long)q.offset, (unsigned long long)q.len);
    data = hvt_gpa(hvt_of(r->t), q.data, q.len,
            write ? HVT_READ : HVT_WRITE, err);
    if (data == NULL)
        return -1;
    __atomic_store_n(&r->block_done, seq, __ATOMIC_RELAXED);
    if (beat)
        __atomic_store_n(&r->area->io_heartbeat, ++r->heartbeat,
                __ATOMIC_RELEASE);
    __atomic_store_n(&b->ret, tender_block_serve(r->t, e, write, data,
                q.offset, q.len), __ATOMIC_RELAXED);
    hvt_ring_store(&b->done, seq);
    *work = true;
    return 0;
}

/* The block request, by whichever thread takes it first: the I/O thread on
 * its rounds or the vCPU thread at any exit (hvt_ring_at_exit(): a guest
 * that sees the I/O thread make no progress, because it has no CPU, makes
 * one); the loser skips. */
static int hvt_ring_block_take(struct hvt_ring *r, bool beat, bool *work,
        struct tender_err *err)
{
    int rc;

    *work = false;
    if (!hvt_ring_take(&r->block_busy))
        return 0;
    rc = hvt_ring_block(r, beat, work, err);
    hvt_ring_give(&r->block_busy);
    return rc;
}

bool hvt_ring_guest_on(const struct hvt *h)
{
    return hvt_ring_load(&h->ring->area->guest_on) != 0;
}

/* One look at everything the guest may have queued, and the taps. */
int hvt_ring_serve(struct hvt *h, struct hvt_ring_pass *pass,
        struct tender_err *err)
{
    struct hvt_ring *r = h->ring;

    bool out;

    *pass = (struct hvt_ring_pass){ 0 };
    if (hvt_ring_block_take(r, true, &pass->block, err) != 0)
        return -1;
    pass->work = pass->block;
    /* From guest_on on, the taps are the rings' (no kick: POLL reads them
     * until the thread is awake). */
    r->on = r->on || hvt_ring_load(&r->area->guest_on) != 0;
    if (hvt_console_out(h, &out, err) != 0)
        return -1;
    pass->work |= out;
    for (unsigned i = 0; i < r->n_net; i++) {
        bool tx = false, rx = false;

        if (hvt_ring_tx(r, &r->net[i], &tx, err) != 0)
            return -1;
        if (r->on && hvt_ring_rx(r, &r->net[i], &rx, err) != 0)
            return -1;
        pass->work |= tx;
        pass->rx |= rx;
    }
    return 0;
}

/* Work the guest queued that the thread has not seen (before sleeping). */
static bool hvt_ring_pending(struct hvt_ring *r)
{
    if (hvt_console_pending(hvt_of(r->t)))
        return true;
    if (hvt_ring_load(&r->area->block.seq) !=
            __atomic_load_n(&r->block_done, __ATOMIC_RELAXED))
        return true;
    for (unsigned i = 0; i < r->n_net; i++) {
        struct hvt_ring_dev *d = &r->net[i];
        struct hvt_ring_net *n = &r->area->net[d->handle];

        if (hvt_ring_load(&n->tx_head) != hvt_ring_load(&n->tx_tail))
            return true;
        if (__atomic_load_n(&d->rx_blocked, __ATOMIC_RELAXED) &&
                hvt_ring_load(&n->rx_head) - hvt_ring_load(&n->rx_tail) <
                HVT_RING_SLOTS)
            return true;
    }
    return false;
}

/* Until the guest kicks, which it does when it queues work and sees
 * kick_wanted.  Frames that arrive meanwhile wait in the taps (this sleep
 * is for before the guest turns the rings on, and for a full RX ring,
 * which the guest kicks about when it takes a frame). */
static void hvt_ring_wait_kick(const struct hvt_ring *r, const struct hvt *h)
{
    uint64_t v;
    ssize_t n;

    do {
        n = read(h->ring_kick_fd, &v, sizeof(v));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        hvt_ring_fatal(r, "I/O rings: read of the kick eventfd: %s",
                strerror(errno));
}

/* Until a kick or a frame on a tap (taps_watched): a guest waiting for
 * frames keeps watching its RX rings, and the frame wakes this thread as
 * it would wake solo5-spt.  If the vCPU thread waits for it in POLL, the
 * frame wakes both (whichever reads the tap first fills the ring): the
 * guest usually answers within tens of microseconds of being entered, and
 * waking an idle CPU takes as long on kvm-pvm, so this thread wakes while
 * the guest is entered instead of at its kick (docs/performance.md,
 * "Round 5"). */
static void hvt_ring_wait_watch(const struct hvt_ring *r, const struct hvt *h)
{
    struct epoll_event ev[MFT_MAX_ENTRIES + 1];
    uint64_t v;
    int n;

    do {
        n = epoll_pwait(h->ring_watch_fd, ev, MFT_MAX_ENTRIES + 1, -1, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        hvt_ring_fatal(r, "I/O rings: epoll_pwait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
        if (ev[i].data.u64 == HVT_RING_WATCH_KICK)
            (void)!read(h->ring_kick_fd, &v, sizeof(v));
    }
}

/* An RX ring is full: its tap stays readable, so the thread sleeps on the
 * kick alone until the guest makes room. */
static bool hvt_ring_rx_full(const struct hvt_ring *r)
{
    for (unsigned i = 0; i < r->n_net; i++) {
        if (__atomic_load_n(&r->net[i].rx_blocked, __ATOMIC_RELAXED))
            return true;
    }
    return false;
}

static void hvt_ring_sleep(struct hvt_ring *r, struct hvt *h)
{
    bool taps = r->on && !hvt_ring_rx_full(r);

    hvt_affinity_avoid_vcpu(&h->affinity);

    /* Before kick_wanted: a guest that sees the thread asleep sees how. */
    __atomic_store_n(&r->area->taps_watched, taps, __ATOMIC_RELAXED);
    __atomic_store_n(&r->area->kick_wanted, 1, __ATOMIC_SEQ_CST);
    if (!hvt_ring_pending(r)) {
        if (taps)
            hvt_ring_wait_watch(r, h);
        else
            hvt_ring_wait_kick(r, h);
    }
    __atomic_store_n(&r->area->kick_wanted, 0, __ATOMIC_RELAXED);
}

/* Sleeps; the next spin follows from how long (HVT_RING_SPIN_US).  Returns
 * when it woke. */
static uint64_t hvt_ring_nap(struct hvt_ring *r, struct hvt *h)
{
    uint64_t fell_asleep = hvt_host_cycles(), woke;

    hvt_ring_sleep(r, h);
    woke = hvt_host_cycles();
    r->spin_cycles = woke - fell_asleep < r->dense_gap_cycles ?
        r->dense_cycles : r->sparse_cycles;
    return woke;
}

/* A guest in POLL got frames (from this thread or its own reads): its answer
 * comes within HVT_RING_SPIN_ANSWER_US, so the spin lasts at least that
 * long.  True if it was due. */
static bool hvt_ring_await_answer(struct hvt_ring *r)
{
    if (!__atomic_load_n(&r->answer_due, __ATOMIC_RELAXED))
        return false;
    __atomic_store_n(&r->answer_due, false, __ATOMIC_RELAXED);
    if (r->spin_cycles < r->answer_cycles)
        r->spin_cycles = r->answer_cycles;
    return true;
}

/* Whether an idle thread keeps spinning: for its spin after the last work,
 * and at boot until the guest turns the rings on. */
static bool hvt_ring_spin_on(const struct hvt_ring *r, uint64_t idle_since,
        uint64_t started)
{
    uint64_t now = hvt_host_cycles();

    return now - idle_since < r->spin_cycles ||
        (!r->on && now - started < r->boot_spin_cycles);
}

static void *hvt_ring_thread(void *arg)
{
    struct hvt *h = arg;
    struct hvt_ring *r = h->ring;
    uint64_t idle_since, started;
    const uint64_t one = 1;
    struct tender_err err;
    bool block_last = false;    /* the last work was a block request */

    /* The C library's start-up of this thread (rseq, robust list, signal
     * mask) is done: the filter may come.  Asleep until hvt_ring_go(),
     * when it is in place. */
    sem_post(&r->up);
    hvt_ring_wait_kick(r, h);
    started = idle_since = hvt_host_cycles();
    for (;;) {
        struct hvt_ring_pass pass;

        if (hvt_ring_serve(h, &pass, &err) != 0)
            hvt_ring_fatal(r, "%s", err.msg);
        /* Every round, idle ones included: a guest that waits takes a
         * heartbeat that stops for 20 us for a thread without a CPU
         * (bindings/hvt/hvt_ring.c) and makes an exit.  Advanced only on
         * rounds with work, it sent most `ab -c1` runs down that slow
         * path (docs/performance.md, "Round 5"). */
        __atomic_store_n(&r->area->io_heartbeat, ++r->heartbeat,
                __ATOMIC_RELAXED);
        if (pass.rx) {
            /* Pairs with hvt_ring_poll_begin(): either it sees the frame
             * or this sees it polling. */
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (__atomic_load_n(&h->ring_polling, __ATOMIC_RELAXED))
                (void)!write(h->ring_rx_fd, &one, sizeof(one));
        }
        if (hvt_ring_await_answer(r) || pass.work || pass.rx) {
            block_last = pass.block;
            idle_since = hvt_host_cycles();
            continue;
        }
        /* After a block request the guest, which waits for each one,
         * sends the next within microseconds and nobody else is waited
         * for: a pause loop answers it sooner than sched_yield() (~1 us,
         * as much as a small read), and doubles small-block throughput. */
        if (block_last &&
                hvt_host_cycles() - idle_since < r->busy_cycles) {
            hvt_host_relax();
            continue;
        }
        if (hvt_ring_spin_on(r, idle_since, started)) {
            /* Not a pause: on a machine with few CPUs the peer (ping, a
             * host process) must get this one while we wait for it
             * (a pause loop here cost a third of the flood-ping rate). */
            sched_yield();
            continue;
        }
        idle_since = hvt_ring_nap(r, h);
    }
    return NULL;
}

/* The thread, asleep until hvt_ring_go() (none without rings). */
int hvt_ring_start(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_ring *r = h->ring;
    int rc;

    if (r == NULL)
        return 0;
    hvt_affinity_init(&h->affinity);
    if (sem_init(&r->up, 0, 0) != 0)
        return tender_err_set(err, "I/O rings: sem_init: %s",
                strerror(errno));
    rc = pthread_create(&r->thread, NULL, hvt_ring_thread, h);
    if (rc != 0)
        return tender_err_set(err, "I/O rings: pthread_create: %s",
                strerror(rc));
    return 0;
}

/* Before the seccomp filter: a thread still in the C library's start-up
 * would be killed by it (rseq is no system call of the policy). */
void hvt_ring_wait_up(struct hvt *h)
{
    while (sem_wait(&h->ring->up) != 0 && errno == EINTR)
        ;
}

/* Once the seccomp filter covers the thread: it runs, spinning while the
 * guest boots (kick_wanted clear: the guest need not kick it). */
void hvt_ring_go(struct hvt *h)
{
    const uint64_t one = 1;

    __atomic_store_n(&h->ring->area->kick_wanted, 0, __ATOMIC_SEQ_CST);
    (void)!write(h->ring_kick_fd, &one, sizeof(one));
}

/* HALT: the console bytes and frames the guest queued are out before the
 * process exits.  The guest cannot wait for them itself (it cannot know
 * when the I/O thread runs), so this thread writes them; if the I/O thread
 * holds a device's TX it is sending them, and is waited for at most a
 * second. */
int hvt_ring_drain(struct hvt *h, struct tender_err *err)
{
    struct hvt_ring *r = h->ring;
    uint64_t start = hvt_host_cycles();

    if (hvt_console_flush(h, err) != 0)
        return -1;
    for (unsigned i = 0; i < r->n_net; i++) {
        struct hvt_ring_dev *d = &r->net[i];
        const struct hvt_ring_net *n = &r->area->net[d->handle];
        bool work;

        for (;;) {
            if (hvt_ring_tx(r, d, &work, err) != 0)
                return -1;
            if (hvt_ring_load(&n->tx_tail) == hvt_ring_load(&n->tx_head) ||
                    hvt_host_cycles() - start >= h->cycle_hz)
                break;
            sched_yield();
        }
    }
    return 0;
}

/* hvt_ring_at_exit(); *more tells whether the guest is likely to queue
 * more at once: it was writing to its console or made a block request. */
static int hvt_ring_serve_exit(struct hvt *h, bool *more,
        struct tender_err *err)
{
    struct hvt_ring *r = h->ring;
    bool work, console;

    if (hvt_ring_block_take(r, false, &work, err) != 0)
        return -1;
    if (hvt_console_out(h, &console, err) != 0)
        return -1;
    *more = work || console;
    for (unsigned i = 0; i < r->n_net; i++) {
        const struct hvt_ring_net *n = &r->area->net[r->net[i].handle];

        if (hvt_ring_load(&n->tx_head) != hvt_ring_load(&n->tx_tail) &&
                hvt_ring_tx(r, &r->net[i], &work, err) != 0)
            return -1;
    }
    return 0;
}

/* Wakes the I/O thread (a write to its kick eventfd). */
static void hvt_ring_wake(struct hvt *h)
{
    const uint64_t one = 1;

    /* Awake from now on: later producers need not kick (the thread sets
     * it again, then looks once more, before it sleeps). */
    __atomic_store_n(&h->ring->area->kick_wanted, 0, __ATOMIC_RELAXED);
    (void)!write(h->ring_kick_fd, &one, sizeof(one));
}

/*
 * After a kick exit, which served all the guest had queued: a thread asleep
 * on the taps as well is left asleep (a frame wakes it; woken now, the host
 * would likely queue it on this CPU, behind the guest's spin), unless more
 * is likely to follow at once (hvt_ring_serve_exit()): console lines
 * (bench_gc's 4000 lines: 5.7 -> 0.9 ms, spt 1.7), or block requests, which
 * a guest makes one after the other (left asleep, the thread had each of
 * the first 64 served by a kick exit, 66 us apart: 4 ms of a 20 ms run of
 * 4 KiB reads, docs/performance.md "Round 9").  One asleep on its kick
 * alone (a full RX ring the guest has just made room in, or before
 * guest_on) is woken.
 */
static void hvt_ring_wake_unless_watching(struct hvt *h, bool more)
{
    struct hvt_ring_area *a = h->ring->area;

    if (!more && __atomic_load_n(&a->kick_wanted, __ATOMIC_SEQ_CST) &&
            __atomic_load_n(&a->taps_watched, __ATOMIC_RELAXED))
        return;
    hvt_ring_wake(h);
}

/*
 * The guest kicked with an ordinary exit: this thread sends and writes out
 * what the guest queued (kicks_served tells the guest), and wakes the I/O
 * thread if it needs to be (hvt_ring_wake_unless_watching()).
 *
 * A KVM_IOEVENTFD would complete the kick inside the kernel (~5 us in the
 * guest instead of a ~40 us exit), but KVM removes it, at the latest when
 * the VM is destroyed at exit, after an SRCU grace period: 6-16 ms on this
 * host under load (docs/kvm-pvm.md, "I/O rings"), more than most short
 * runs spend on kicks.  It is registered once a guest has kicked this way
 * HVT_RING_KICKS_BEFORE_IOEVENTFD times; if the kernel refuses, kicks stay
 * exits.
 */
int hvt_ring_kick_exit(struct hvt *h, struct tender_err *err)
{
    struct hvt_ring_area *a = h->ring->area;
    struct kvm_ioeventfd kick = { .fd = -1 };
    bool more;

    if (hvt_ring_serve_exit(h, &more, err) != 0)
        return -1;
    __atomic_store_n(&a->kicks_served, ++h->ring_kick_exits,
            __ATOMIC_RELEASE);
    hvt_ring_wake_unless_watching(h, more);
    if (h->ring_kick_exits == HVT_RING_KICKS_BEFORE_IOEVENTFD) {
        hvt_exit_kick_ioeventfd(&kick);
        kick.fd = h->ring_kick_fd;
        (void)ioctl(h->vm_fd, KVM_IOEVENTFD, &kick);
    }
    return 0;
}

/* Handles whose RX ring holds frames. */
uint64_t hvt_ring_rx_ready(const struct hvt *h)
{
    const struct hvt_ring *r = h->ring;
    uint64_t set = 0;

    for (unsigned i = 0; i < r->n_net; i++) {
        const struct hvt_ring_net *n = &r->area->net[r->net[i].handle];

        if (hvt_ring_load(&n->rx_head) != hvt_ring_load(&n->rx_tail))
            set |= 1ULL << r->net[i].handle;
    }
    return set;
}

/* Any exit: the block request, frames and console bytes the guest queued
 * are served now, from the vCPU thread (the I/O thread may not get a CPU
 * soon: it shares them with this one).  Costs a load per ring when there
 * is nothing. */
int hvt_ring_at_exit(struct hvt *h, struct tender_err *err)
{
    bool more;

    return hvt_ring_serve_exit(h, &more, err);
}

/* POLL: reads what the taps hold into the RX rings.  *ready is the set of
 * handles with frames; when it is empty, the I/O thread signals
 * ring_rx_fd for the next ones. */
int hvt_ring_poll_begin(struct hvt *h, uint64_t *ready,
        struct tender_err *err)
{
    __atomic_store_n(&h->ring_polling, 1, __ATOMIC_SEQ_CST);
    return hvt_ring_poll_fill(h, ready, err);
}

/* POLL, woken: the taps into the RX rings (unless the I/O thread is at it
 * already), and the ready set. */
int hvt_ring_poll_fill(struct hvt *h, uint64_t *ready,
        struct tender_err *err)
{
    struct hvt_ring *r = h->ring;
    bool work;

    for (unsigned i = 0; i < r->n_net; i++) {
        if (hvt_ring_rx(r, &r->net[i], &work, err) != 0)
            return -1;
    }
    *ready = hvt_ring_rx_ready(h);
    return 0;
}

/* POLL ends; with frames, the I/O thread is made sure to be awake for the
 * guest's answer, and to stay so (answer_due).  The frame has woken it
 * already (hvt_ring_wait_watch()), but epoll lets it sleep on if the tap
 * is empty again when it runs, as it is once this thread has read it; the
 * kick eventfd keeps it up.  Cheap: the thread is already being woken, so
 * no second wake-up of its CPU. */
uint64_t hvt_ring_poll_end(struct hvt *h)
{
    uint64_t v, ready;

    __atomic_store_n(&h->ring_polling, 0, __ATOMIC_SEQ_CST);
    (void)!read(h->ring_rx_fd, &v, sizeof(v));
    ready = hvt_ring_rx_ready(h);
    if (ready != 0) {
        __atomic_store_n(&h->ring->answer_due, true, __ATOMIC_RELAXED);
        if (__atomic_load_n(&h->ring->area->kick_wanted, __ATOMIC_SEQ_CST))
            hvt_ring_wake(h);
    }
    return ready;
}

/* The I/O thread's sleep set, before any tap is added to it. */
int hvt_ring_watch_setup(struct hvt *h, struct tender_err *err)
{
    struct epoll_event kick = { .events = EPOLLIN,
        .data.u64 = HVT_RING_WATCH_KICK };

    h->ring_watch_fd = epoll_create1(EPOLL_CLOEXEC);
    if (h->ring_watch_fd < 0 || epoll_ctl(h->ring_watch_fd, EPOLL_CTL_ADD,
                h->ring_kick_fd, &kick) != 0)
        return tender_err_set(err, "epoll (I/O thread): %s",
                strerror(errno));
    return 0;
}

int hvt_ring_watch_tap(struct hvt *h, int tapfd, struct tender_err *err)
{
    struct epoll_event tap = { .events = EPOLLIN };

    if (epoll_ctl(h->ring_watch_fd, EPOLL_CTL_ADD, tapfd, &tap) != 0)
        return tender_err_set(err, "epoll (I/O thread): %s",
                strerror(errno));
    return 0;
}
