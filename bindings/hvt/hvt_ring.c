/*
 * hvt_ring.c: net frames and block requests through the tender's I/O rings
 * (HVT_FEATURE_IO_RINGS; the layout and rules are in hvt_abi.h, the design
 * in docs/kvm-pvm.md "I/O rings").  No VM exit per operation: the guest
 * fills a slot or the request, publishes it with a release store, and kicks
 * the tender's I/O thread (hvt_ring_kick(), which the kernel turns into an
 * eventfd signal) only if the thread said it is going to sleep
 * (kick_wanted).
 *
 * Guest virtual addresses equal guest-physical ones, so the tender's GPAs
 * are usable as pointers.
 */
#include "hvt.h"

/* solo5_yield() watches the RX rings before a POLL exit for a window that
 * adapts as KVM's halt polling does (hvt_ring_yield_adapt()), between
 * these and the tender's busy_poll_us: spinning at CPL3 is cheap while an
 * exit costs tens of microseconds on kvm-pvm. */
#define HVT_RING_SPIN_MIN_NS 50000ULL
#define HVT_RING_SPIN_START_NS 300000ULL
/* Frames within this of a POLL exit came because we stopped spinning
 * (hvt_ring_yield_adapt()): about two exits' worth on kvm-pvm. */
#define HVT_RING_STARVED_NS 100000ULL
/* A wait for the I/O thread (a block request, room in the TX ring, an
 * answer to a kick) that sees no round of it for this long means it has no
 * CPU (it may share this vCPU's): an exit then gives the CPU back and lets
 * the vCPU thread serve the rings. */
#define HVT_RING_STALL_NS 20000ULL
/* ... plus this per KiB of a block request the thread has taken (it makes
 * no round while it is in the pread/pwrite: 64 KiB, 10-16 us here), where
 * an exit every HVT_RING_STALL_NS only costs the guest ~40 us each (the
 * vCPU thread cannot serve a request the I/O thread holds).  Twice the
 * time the page cache takes here. */
#define HVT_RING_STALL_NS_PER_KIB 500ULL
/* ... up to this: a huge request still gives the CPU back now and then. */
#define HVT_RING_STALL_MAX_NS 1000000ULL
/* Frames taken between two waits that make the traffic bulk
 * (ring_thread_stalled()). */
#define HVT_RING_BULK_FRAMES 4U
/* A full TX ring is drained by the tender within microseconds; after this
 * many pause iterations the frame is dropped (as a NIC with a full queue). */
#define HVT_RING_TX_SPIN 2000000UL

static struct hvt_ring_area *hvt_ring;
/* The last solo5_net_read() found the RX ring empty. */
static bool hvt_ring_rx_was_empty;
/* Frames solo5_net_read() took, and how many when the last wait began. */
static uint32_t hvt_ring_frames_taken, hvt_ring_frames_at_wait;
/* solo5_yield()'s current spin window, and when the wait began. */
static solo5_time_t hvt_ring_spin_ns = HVT_RING_SPIN_START_NS;
static solo5_time_t hvt_ring_wait_began, hvt_ring_poll_began;
/* Our last kick went to the I/O thread (not served by an exit): when, and
 * the thread's heartbeat then. */
static bool hvt_ring_kick_pending;
static solo5_time_t hvt_ring_kicked_at;
static uint32_t hvt_ring_kicked_beat;

static uint32_t ring_load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void ring_store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* After publishing: wake the I/O thread if it is (about to go) asleep.  The
 * full fence orders the publication before the read of kick_wanted; the
 * tender sets kick_wanted before its last look (hvt_ring.c, tender). */
static void ring_kick_if_wanted(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&hvt_ring->kick_wanted, __ATOMIC_RELAXED)) {
        uint32_t served = ring_load(&hvt_ring->kicks_served);

        hvt_ring_kicked_beat = ring_load(&hvt_ring->io_heartbeat);
        hvt_ring_kick();
        hvt_ring_kicked_at = solo5_clock_monotonic();
        /* Served by an exit: all we queued is out already. */
        hvt_ring_kick_pending = ring_load(&hvt_ring->kicks_served) == served;
    }
}

/* Our last kick has not been answered with a round for longer than a
 * wake-up takes: the thread has no CPU (the host may have woken it on this
 * vCPU's, which a spinning guest does not give up). */
static bool ring_kick_unanswered(solo5_time_t now)
{
    return hvt_ring_kick_pending &&
        now - hvt_ring_kicked_at > HVT_RING_STALL_NS &&
        ring_load(&hvt_ring->io_heartbeat) == hvt_ring_kicked_beat;
}

/* Frames that arrive while we spin reach the RX rings: the I/O thread is
 * awake, or asleep on the taps too, and not stuck (ring_kick_unanswered()).
 * Otherwise only POLL would see them. */
static bool ring_rx_served(solo5_time_t now)
{
    if (ring_kick_unanswered(now))
        return false;
    return !ring_load(&hvt_ring->kick_wanted) ||
        ring_load(&hvt_ring->taps_watched);
}

bool hvt_ring_init(const struct hvt_boot_info *bi)
{
    if (!(hvt_features(bi) & HVT_FEATURE_IO_RINGS) || bi->net_ring == NULL)
        return false;
    hvt_ring = bi->net_ring;
    /* The tender takes the taps over (its thread sees it on its next round,
     * POLL at once): no kick needed. */
    ring_store(&hvt_ring->guest_on, 1);
    return true;
}

bool hvt_ring_active(void)
{
    return hvt_ring != NULL;
}

/*
 * Console output into the console ring, written out by the tender without
 * an exit.  False if there is no ring or `size` bytes do not fit now: the
 * caller then uses PUTS, which the tender serves after everything queued
 * here.
 */
bool hvt_ring_console_write(const char *buf, size_t size)
{
    struct hvt_ring_console *c;
    uint32_t head, used, at, first;

    if (hvt_ring == NULL || hvt_ring->console.size == 0)
        return false;
    c = &hvt_ring->console;
    head = c->head;
    used = head - ring_load(&c->tail);
    if (size > c->size - used)
        return false;
    at = head % c->size;
    first = size < c->size - at ? (uint32_t)size : c->size - at;
    bindings_memcpy(c->data + at, buf, first);
    bindings_memcpy(c->data, buf + first, size - first);
    ring_store(&c->head, head + (uint32_t)size);
    ring_kick_if_wanted();
    return true;
}

/*
 * The guest waits for the I/O thread (a block request, room in a full TX
 * ring).  While the thread makes rounds, spinning answers soonest; once it
 * has made none for HVT_RING_STALL_NS it has no CPU (it may share this
 * vCPU's, which a spinning guest does not give up until the host preempts
 * it, milliseconds later on a busy host): an exit, any hypercall, makes the
 * vCPU thread serve the rings itself (hvt_ring_at_exit() in the tender).
 */
struct ring_wait {
    solo5_time_t beat_seen;
    solo5_time_t stall;         /* no round for this long: exit */
    uint32_t beat;
};

static void ring_wait_start(struct ring_wait *w)
{
    w->beat_seen = solo5_clock_monotonic();
    w->beat = ring_load(&hvt_ring->io_heartbeat);
    w->stall = HVT_RING_STALL_NS;
}

static void ring_wait_step(struct ring_wait *w)
{
    struct hvt_hc_walltime wt;
    solo5_time_t now;
    uint32_t beat;

    hvt_cpu_relax();
    now = solo5_clock_monotonic();
    beat = ring_load(&hvt_ring->io_heartbeat);
    if (beat != w->beat) {
        w->beat = beat;
        w->beat_seen = now;
    } else if (now - w->beat_seen > w->stall) {
        hvt_hypercall(HVT_HYPERCALL_WALLTIME, &wt);
        w->beat_seen = solo5_clock_monotonic();
    }
}

/* The guest has no request in flight: hvt_readahead.c, which alone posts
 * without waiting, lands its window before anything else is posted. */
uint32_t hvt_ring_block_post(uint32_t op, uint64_t handle,
        solo5_off_t offset, uintptr_t data, size_t size)
{
    struct hvt_ring_block *b = &hvt_ring->block;
    uint32_t seq = b->seq + 1;

    b->handle = handle;
    b->offset = offset;
    b->data = (void *)data;
    b->len = size;
    b->op = op;
    ring_store(&b->seq, seq);
    ring_kick_if_wanted();
    return seq;
}

/* The stall allowance of a block request the I/O thread has taken. */
static solo5_time_t ring_block_stall(const struct hvt_ring_block *b)
{
    uint64_t kib = b->len >> 10;

    if (kib < (HVT_RING_STALL_MAX_NS - HVT_RING_STALL_NS) /
            HVT_RING_STALL_NS_PER_KIB)
        return HVT_RING_STALL_NS + kib * HVT_RING_STALL_NS_PER_KIB;
    return HVT_RING_STALL_MAX_NS;
}

/* Until the thread shows a round (it takes the request with one), the
 * usual allowance: it may have no CPU.  Then the longer one: it is in the
 * pread/pwrite, and an exit would not help. */
solo5_result_t hvt_ring_block_wait(uint32_t seq)
{
    struct hvt_ring_block *b = &hvt_ring->block;
    struct ring_wait w;
    uint32_t posted_beat;

    ring_wait_start(&w);
    posted_beat = w.beat;
    while (ring_load(&b->done) != seq) {
        ring_wait_step(&w);
        if (w.beat != posted_beat)
            w.stall = ring_block_stall(b);
    }
    return (solo5_result_t)b->ret;
}

solo5_result_t hvt_ring_block(uint32_t op, uint64_t handle,
        solo5_off_t offset, uintptr_t data, size_t size)
{
    return hvt_ring_block_wait(hvt_ring_block_post(op, handle, offset, data,
                size));
}

solo5_result_t hvt_ring_net_write(uint64_t handle, const uint8_t *buf,
        size_t size)
{
    struct hvt_ring_net *n = &hvt_ring->net[handle];
    uint32_t head = n->tx_head;
    struct hvt_ring_slot *slot;
    unsigned long spin = 0;
    struct ring_wait w = { 0 };

    if (size == 0 || size > n->slot_size - HVT_RING_SLOT_HDR)
        return SOLO5_R_EINVAL;
    while (head - ring_load(&n->tx_tail) >= n->slots) {
        if (spin == 0)
            ring_wait_start(&w);
        if (++spin == HVT_RING_TX_SPIN)
            return SOLO5_R_OK;      /* dropped */
        ring_kick_if_wanted();
        ring_wait_step(&w);
    }
    slot = (struct hvt_ring_slot *)(n->tx + (head % n->slots) * n->slot_size);
    bindings_memcpy(slot + 1, buf, size);
    slot->len = (uint32_t)size;
    ring_store(&n->tx_head, head + 1);
    ring_kick_if_wanted();
    return SOLO5_R_OK;
}

solo5_result_t hvt_ring_net_read(uint64_t handle, uint8_t *buf, size_t size,
        size_t *read_size)
{
    struct hvt_ring_net *n = &hvt_ring->net[handle];
    uint32_t tail = n->rx_tail, head = ring_load(&n->rx_head);
    const struct hvt_ring_slot *slot;
    size_t len;

    if (head == tail) {
        /* A guest that polls with reads instead of solo5_yield(): only a
         * thread that is awake reads the taps (POLL reads them itself). */
        if (hvt_ring_rx_was_empty)
            ring_kick_if_wanted();
        hvt_ring_rx_was_empty = true;
        return SOLO5_R_AGAIN;
    }
    hvt_ring_rx_was_empty = false;
    slot = (const struct hvt_ring_slot *)(n->rx +
            (tail % n->slots) * n->slot_size);
    len = slot->len;
    /* As read(2) on the tap: a short buffer gets the frame's start. */
    if (len > size)
        len = size;
    bindings_memcpy(buf, slot + 1, len);
    ring_store(&n->rx_tail, tail + 1);
    hvt_ring_frames_taken++;
    /* The thread stops reading the tap while the ring is full. */
    if (head - tail == n->slots)
        ring_kick_if_wanted();
    *read_size = len;
    return SOLO5_R_OK;
}

/* Handles whose RX ring holds frames. */
static uint64_t ring_rx_ready(void)
{
    const struct mft *mft = bindings_mft();
    uint64_t set = 0;

    for (unsigned i = 1; i < mft->entries && i < HVT_RING_NET_MAX; i++) {
        struct hvt_ring_net *n = &hvt_ring->net[i];

        if (n->slots != 0 && ring_load(&n->rx_head) != n->rx_tail)
            set |= 1ULL << i;
    }
    return set;
}

/* The tender's bound on the spin (--busy-poll). */
static solo5_time_t ring_spin_max(void)
{
    return (solo5_time_t)ring_load(&hvt_ring->busy_poll_us) * 1000ULL;
}

/*
 * Frames come in bulk (the guest took HVT_RING_BULK_FRAMES or more since its
 * last wait) and the I/O thread, awake, has made no round for
 * HVT_RING_STALL_NS: it has no CPU to read the taps with (the bulk sender
 * may hold the one it shares), and POLL, where the vCPU thread reads them
 * too, keeps up with what it does not (without this, frames sent at 1M/s
 * were half dropped).  Not for request/response traffic, a frame or two
 * per wait: there a POLL exit costs more than the thread's wait for a CPU.
 */
static bool ring_thread_stalled(struct ring_wait *w, bool bulk,
        solo5_time_t now)
{
    uint32_t beat = ring_load(&hvt_ring->io_heartbeat);

    if (beat != w->beat || ring_load(&hvt_ring->kick_wanted) || !bulk) {
        w->beat = beat;
        w->beat_seen = now;
        return false;
    }
    return now - w->beat_seen > HVT_RING_STALL_NS;
}

/*
 * solo5_yield() with rings: frames already there, or arriving while we
 * spin (for the adaptive window, bounded by the deadline), cost no exit.
 * The spin stops as soon as it cannot help: frames would not reach the
 * rings (ring_rx_served()), or they come in bulk faster than the stalled
 * thread takes them (ring_thread_stalled()).
 * Returns true with *set filled if it could answer without POLL.
 */
bool hvt_ring_yield(solo5_time_t deadline, uint64_t *set)
{
    solo5_time_t now = solo5_clock_monotonic();
    solo5_time_t spin = hvt_ring_spin_ns, max = ring_spin_max();
    solo5_time_t until = now + (spin < max ? spin : max);
    struct ring_wait w;
    bool bulk = hvt_ring_frames_taken - hvt_ring_frames_at_wait >=
        HVT_RING_BULK_FRAMES;

    hvt_ring_frames_at_wait = hvt_ring_frames_taken;
    hvt_ring_wait_began = now;
    ring_wait_start(&w);
    if (deadline < until)
        until = deadline;
    for (;;) {
        *set = ring_rx_ready();
        if (*set != 0 || deadline <= now)
            break;
        if (now >= until || !ring_rx_served(now) ||
                ring_thread_stalled(&w, bulk, now)) {
            hvt_ring_poll_began = now;
            return false;
        }
        hvt_cpu_relax();
        now = solo5_clock_monotonic();
    }
    /* Spun to the deadline for nothing: spin less. */
    if (*set == 0)
        hvt_ring_yield_adapt(false);
    return true;
}

/*
 * After a wait that ended in POLL: frames that came later than
 * HVT_RING_STARVED_NS after the POLL exit, but within busy_poll_us of the
 * wait's start, double the window (spinning longer would have caught them
 * without an exit).  Any other wait halves it, down to HVT_RING_SPIN_MIN_NS:
 * one that got no frames or got them late, and one whose frames came right
 * after the exit, which is what a peer on this vCPU's CPU does: it could
 * not send before we stopped spinning (the host does not preempt a
 * spinning vCPU for it at once), so a longer spin would only starve it
 * longer.  A guest that gets a frame every few hundred microseconds thus
 * waits for each one without an exit, and an idle one spins little.
 */
void hvt_ring_yield_adapt(bool polled_frames)
{
    solo5_time_t now = solo5_clock_monotonic();
    solo5_time_t spin = hvt_ring_spin_ns, max = ring_spin_max();

    if (polled_frames && now - hvt_ring_poll_began > HVT_RING_STARVED_NS &&
            now - hvt_ring_wait_began <= max)
        spin = spin * 2 < max ? spin * 2 : max;
    else
        spin = spin / 2 > HVT_RING_SPIN_MIN_NS ? spin / 2 :
            HVT_RING_SPIN_MIN_NS;
    hvt_ring_spin_ns = spin;
}
