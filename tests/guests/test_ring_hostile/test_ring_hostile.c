/*
 * test_ring_hostile (hvt only): writes one malformed entry into solo5-hvt's
 * I/O rings (HVT_FEATURE_IO_RINGS) by hand, past the bindings, and waits:
 * the tender must end the guest (status 1, a message naming the fault).
 * The case is the first argument.  Prints "NO RINGS" and fails if the
 * tender did not offer the rings; "SURVIVED" if it ignored the entry.
 *
 *   tx_len0, tx_len_big   a TX frame of 0 / mtu + 15 bytes
 *   tx_index              tx_head more than `slots` ahead of tx_tail
 *   rx_index              rx_tail ahead of rx_head (by half the ring: frames
 *                         the host sends meanwhile, IPv6 router solicitations
 *                         on a fresh tap, cannot make it valid)
 *   blk_handle            a block request on the NET handle
 *   blk_gpa               a block read into the read-only boot info
 *   blk_len               a partial block
 *   blk_op                an unknown op
 *   ok                    a valid one-block write: must succeed
 *   kicks                 KICK_ROUNDS console lines "kick <n>", each after the
 *                         I/O thread went back to sleep, so that each needs a
 *                         kick (the first ones exits, the later ones through
 *                         the KVM_IOEVENTFD the tender registers on the way):
 *                         every line must be written out before the next
 *   blk_at_exit           a valid block read published while the I/O
 *                         thread sleeps, without a kick, then one WALLTIME
 *                         hypercall: the exit must have served it (what the
 *                         bindings rely on when the thread gets no CPU)
 *   tx_at_exit            the same with a 60-byte broadcast frame in the TX
 *                         ring: the exit must have sent it
 *   rx_wakes_thread       (with --busy-poll=0) waits in POLL while the I/O
 *                         thread sleeps, prints "polling" first; the test
 *                         then sends one frame.  The frame that ended POLL
 *                         must have woken the thread too: its io_heartbeat
 *                         advances, without a kick or an exit
 *                         (docs/performance.md, "Round 5")
 *   kickcost              not a test: prints the mean cost of a kick (an
 *                         ioeventfd `out`) and of a WALLTIME hypercall (an
 *                         exit to the tender), 10000 each
 */
#include "guest.h"
#include "hvt_abi.h"

static uint8_t buf[4096] __attribute__((aligned(4096)));

static void kick(void)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(0U), "d"((uint16_t)HVT_RING_KICK_PORT) : "memory");
}

static void publish(uint32_t *index, uint32_t value)
{
    __atomic_store_n(index, value, __ATOMIC_RELEASE);
    kick();
}

static int block(struct hvt_ring_area *r, uint64_t handle, uint64_t data, uint64_t len,
                 uint32_t op)
{
    struct hvt_ring_block *b = &r->block;
    uint32_t seq = b->seq + 1;

    b->handle = handle;
    b->offset = 0;
    b->data = (void *)(uintptr_t)data;
    b->len = len;
    b->op = op;
    publish(&b->seq, seq);
    /* A tender that ignores a bad request never completes it: time out. */
    for (unsigned long i = 0; i < 2000000000UL; i++)
        if (__atomic_load_n(&b->done, __ATOMIC_ACQUIRE) == seq)
            return b->ret;
    return -1;
}

#define KICK_ROUNDS 100

/* True once the tender has written out everything in the console ring;
 * false after ~5 s. */
static bool console_drained(const struct hvt_ring_area *r)
{
    solo5_time_t until = solo5_clock_monotonic() + 5000000000ULL;

    while (__atomic_load_n(&r->console.tail, __ATOMIC_ACQUIRE) != r->console.head)
        if (solo5_clock_monotonic() > until)
            return false;
    return true;
}

/* Until the I/O thread sleeps: idle for 1 ms (it sleeps after 200 us
 * without work) and kick_wanted set. */
static bool thread_asleep(const struct hvt_ring_area *r)
{
    solo5_time_t idle_until = solo5_clock_monotonic() + 1000000;

    while (solo5_clock_monotonic() < idle_until || !r->kick_wanted)
        if (solo5_clock_monotonic() > idle_until + 5000000000ULL)
            return false;
    return true;
}

static int block_at_exit(struct hvt_ring_area *r, uint64_t handle)
{
    struct hvt_ring_block *b = &r->block;
    uint32_t seq = b->seq + 1;

    if (!thread_asleep(r))
        return guest_failure("the I/O thread never slept");
    memset(buf, 0xa5, sizeof(buf));
    b->handle = handle;
    b->offset = 0;
    b->data = buf;
    b->len = 512;
    b->op = HVT_RING_BLOCK_READ;
    __atomic_store_n(&b->seq, seq, __ATOMIC_RELEASE);   /* no kick */
    (void)solo5_clock_wall();
    if (__atomic_load_n(&b->done, __ATOMIC_ACQUIRE) != seq)
        return guest_failure("block request not served at the exit");
    if (b->ret != SOLO5_R_OK || buf[0] != 0 || buf[511] != 0)
        return guest_failure("block request served wrongly");
    return guest_success();
}

static int tx_at_exit(struct hvt_ring_area *r, struct hvt_ring_net *n)
{
    uint32_t head = n->tx_head;
    struct hvt_ring_slot *slot =
        (struct hvt_ring_slot *)(n->tx + (head % n->slots) * n->slot_size);
    uint8_t *frame = (uint8_t *)(slot + 1);

    if (!thread_asleep(r))
        return guest_failure("the I/O thread never slept");
    memset(frame, 0xff, 6);                 /* broadcast */
    memset(frame + 6, 0x02, 6);             /* a local unicast source */
    frame[12] = 0x88;                       /* local experimental ethertype */
    frame[13] = 0xb5;
    memset(frame + 14, 0, 46);
    slot->len = 60;
    __atomic_store_n(&n->tx_head, head + 1, __ATOMIC_RELEASE);     /* no kick */
    (void)solo5_clock_wall();
    if (__atomic_load_n(&n->tx_tail, __ATOMIC_ACQUIRE) != head + 1)
        return guest_failure("frame not sent at the exit");
    return guest_success();
}

static int rx_wakes_thread(struct hvt_ring_area *r, uint64_t handle)
{
    solo5_handle_set_t ready = 0;
    solo5_time_t until;
    uint32_t beat;

    guest_puts("polling\n");
    if (!console_drained(r) || !thread_asleep(r))
        return guest_failure("the I/O thread never slept");
    beat = __atomic_load_n(&r->io_heartbeat, __ATOMIC_ACQUIRE);
    solo5_yield(solo5_clock_monotonic() + 30000000000ULL, &ready);
    if (!(ready & (1ULL << handle)))
        return guest_failure("no frame within 30 s");
    /* No exit meanwhile, no kick: only the frame can have woken it. */
    until = solo5_clock_monotonic() + 2000000000ULL;
    while (__atomic_load_n(&r->io_heartbeat, __ATOMIC_ACQUIRE) == beat)
        if (solo5_clock_monotonic() > until)
            return guest_failure("the I/O thread slept on");
    return guest_success();
}

static int kicks(const struct hvt_ring_area *r)
{
    for (unsigned i = 0; i < KICK_ROUNDS; i++) {
        if (!thread_asleep(r))
            return guest_failure("the I/O thread never slept");
        guest_puts("kick ");
        guest_put_dec(i);
        guest_puts("\n");
        if (!console_drained(r))
            return guest_failure("console line not written out");
    }
    return guest_success();
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const struct hvt_boot_info *bi = (const void *)(uintptr_t)HVT_BOOT_INFO_BASE;
    struct hvt_ring_area *r = bi->net_ring;
    const char *c = si->cmdline;
    uint64_t net = 1, blk = 2;      /* manifest indices: service0, storage */
    struct hvt_ring_net *n;
    struct hvt_ring_slot *slot;

    if (!(bi->host_features & HVT_FEATURE_IO_RINGS) || r == NULL)
        return guest_failure("NO RINGS");
    n = &r->net[net];
    slot = (struct hvt_ring_slot *)n->tx;
    r->guest_on = 1;
    if (strcmp(c, "tx_len0") == 0 || strcmp(c, "tx_len_big") == 0) {
        slot->len = c[6] == '0' ? 0 : n->slot_size;
        publish(&n->tx_head, n->tx_head + 1);
    } else if (strcmp(c, "tx_index") == 0) {
        publish(&n->tx_head, n->tx_head + n->slots + 1);
    } else if (strcmp(c, "rx_index") == 0) {
        publish(&n->rx_tail, __atomic_load_n(&n->rx_head, __ATOMIC_ACQUIRE) + n->slots / 2);
    } else if (strcmp(c, "blk_handle") == 0) {
        block(r, net, (uintptr_t)buf, 512, HVT_RING_BLOCK_READ);
    } else if (strcmp(c, "blk_gpa") == 0) {
        block(r, blk, HVT_BOOT_INFO_BASE, 512, HVT_RING_BLOCK_READ);
    } else if (strcmp(c, "blk_len") == 0) {
        block(r, blk, (uintptr_t)buf, 100, HVT_RING_BLOCK_WRITE);
    } else if (strcmp(c, "blk_op") == 0) {
        block(r, blk, (uintptr_t)buf, 512, 7);
    } else if (strcmp(c, "kicks") == 0) {
        return kicks(r);
    } else if (strcmp(c, "blk_at_exit") == 0) {
        return block_at_exit(r, blk);
    } else if (strcmp(c, "tx_at_exit") == 0) {
        return tx_at_exit(r, n);
    } else if (strcmp(c, "rx_wakes_thread") == 0) {
        return rx_wakes_thread(r, net);
    } else if (strcmp(c, "kickcost") == 0) {
        solo5_time_t t0 = solo5_clock_monotonic(), t1, t2;

        for (int i = 0; i < 10000; i++)
            kick();
        t1 = solo5_clock_monotonic();
        for (int i = 0; i < 10000; i++)
            (void)solo5_clock_wall();
        t2 = solo5_clock_monotonic();
        guest_puts("kick ns: ");
        guest_put_dec((t1 - t0) / 10000);
        guest_puts("\nhypercall ns: ");
        guest_put_dec((t2 - t1) / 10000);
        guest_puts("\n");
        return guest_success();
    } else if (strcmp(c, "ok") == 0) {
        memset(buf, 0x5a, sizeof(buf));
        if (block(r, blk, (uintptr_t)buf, 512, HVT_RING_BLOCK_WRITE) != SOLO5_R_OK)
            return guest_failure("valid ring write failed");
        return guest_success();
    } else {
        return guest_failure("unknown case");
    }
    /* Give the I/O thread time to see it (it ends the process). */
    for (volatile unsigned long i = 0; i < 3000000000UL; i++)
        ;
    return guest_failure("SURVIVED");
}
