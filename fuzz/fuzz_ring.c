/*
 * fuzz_ring.c: the consumer side of solo5-hvt's I/O rings (hvt_ring.c: what
 * the I/O thread does with what the guest queued), on the fake tender of
 * fake_hvt.h, without a VM or a thread: hvt_ring_serve() is one pass of the
 * thread's loop.
 *
 * The input is a program of guest (and tap) actions, one op byte each
 * (op % 8) with its operands:
 *   0 serve        one pass of the I/O thread; an error ends the input
 *   1 poke         u32 offset, u8 n, n bytes: raw writes anywhere in the
 *                  ring area (the guest may write all of it)
 *   2 frame        u8 dev, u8 slot, u16 len, u8 fill: a TX slot's header
 *                  and bytes
 *   3 tap          u8 dev, u16 len: a frame arrives on the tap
 *   4 on           guest_on = 1
 *   5 block        u8 handle, u32 offset, u8 mode, u32 data, u32 len,
 *                  u8 op: a block request, published with seq = done + 1
 *                  (mode bit 0: data relative to FAKE_HVT_DATA; bit 1: seq
 *                  from the next byte instead)
 *   6 tx           u8 dev, u8 n: tx_head += n
 *   7 rx           u8 dev, u8 n: rx_tail += n
 * Guest memory (for block data) is the fake's, zero.  Every input gets a
 * fresh ring area and I/O thread state.
 *
 * Beyond memory safety, checked: frames that reach a tap are 1 to mtu + 14
 * bytes; a pass fills only RX slots the guest had freed (rx_head never
 * more than a ring ahead of the rx_tail it saw); a served block request is
 * acknowledged with its seq; no block device's file grows (no transfer
 * ends past its device).
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_hvt.h"
#include "solo5.h"
#include "util.h"

#define MAX_OPS 64
static const unsigned net_handles[2] = { 2, 4 };

static struct fake_hvt fake;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fake_hvt_init(&fake);
    return 0;
}

/* One input's ring, as laid out before the guest could touch it. */
struct ring {
    struct hvt_ring_area *area;
    uint8_t *host;              /* == area, bytes */
    uint64_t size;
    uint8_t *tx[2];             /* host address of each device's TX slots */
    uint32_t slot_size;
};

static void ring_open(struct ring *r)
{
    struct hvt_ring *ring;
    struct tender_err err;

    FUZZ_CHECK(hvt_ring_layout(&fake.t, &ring, &err) == 0 && ring != NULL);
    fake.h.ring = ring;
    r->area = hvt_ring_host_area(&fake.h);
    r->host = (uint8_t *)r->area;
    r->size = hvt_ring_size(&fake.h);
    r->slot_size = r->area->net[net_handles[0]].slot_size;
    for (unsigned i = 0; i < 2; i++) {
        const struct hvt_ring_net *n = &r->area->net[net_handles[i]];

        FUZZ_CHECK(n->slots == HVT_RING_SLOTS && n->slot_size == r->slot_size);
        r->tx[i] = r->host + (n->tx - hvt_ring_gpa(&fake.h));
    }
}

static void ring_close(void)
{
    hvt_ring_free(fake.h.ring);
    fake.h.ring = NULL;
}

static void op_poke(struct ring *r, struct fuzz_in *in)
{
    uint64_t off = fuzz_take(in, 4) % r->size;
    unsigned n = (unsigned)fuzz_take(in, 1);

    for (unsigned i = 0; i < n; i++)
        r->host[(off + i) % r->size] = (uint8_t)fuzz_take(in, 1);
}

static void op_frame(struct ring *r, struct fuzz_in *in)
{
    unsigned dev = fuzz_take(in, 1) % 2;
    uint8_t *slot = r->tx[dev] + (fuzz_take(in, 1) % HVT_RING_SLOTS) *
        r->slot_size;
    uint32_t len = (uint32_t)fuzz_take(in, 2);
    uint8_t fill = (uint8_t)fuzz_take(in, 1);

    memcpy(slot, &len, sizeof(len));
    memset(slot + HVT_RING_SLOT_HDR, fill, r->slot_size - HVT_RING_SLOT_HDR);
}

static void op_tap(struct fuzz_in *in)
{
    static uint8_t frame[65536];
    unsigned dev = fuzz_take(in, 1) % 2;
    size_t len = fuzz_take(in, 2) % 9100 + 1;

    /* A full socket drops it, as a full tap queue would. */
    (void)!send(fake.peer[net_handles[dev]], frame, len, MSG_DONTWAIT);
}

static void op_block(struct ring *r, struct fuzz_in *in)
{
    struct hvt_ring_block *b = &r->area->block;
    uint8_t mode;

    b->handle = fuzz_take(in, 1);
    b->offset = fuzz_take(in, 4);
    mode = (uint8_t)fuzz_take(in, 1);
    b->data = fuzz_take(in, 4);
    if (mode & 1)
        b->data += FAKE_HVT_DATA;
    b->len = fuzz_take(in, 4);
    b->op = (uint32_t)fuzz_take(in, 1);
    b->seq = (mode & 2) ? (uint32_t)fuzz_take(in, 1) : b->done + 1;
}

static void op_index(struct ring *r, struct fuzz_in *in, bool tx)
{
    struct hvt_ring_net *n = &r->area->net[net_handles[fuzz_take(in, 1) % 2]];
    uint32_t by = (uint32_t)fuzz_take(in, 1);

    if (tx)
        n->tx_head += by;
    else
        n->rx_tail += by;
}

/* The rx indices of both devices before a pass. */
struct rx_before {
    uint32_t head[2], tail[2];
};

static void rx_snapshot(const struct ring *r, struct rx_before *b)
{
    for (unsigned i = 0; i < 2; i++) {
        b->head[i] = r->area->net[net_handles[i]].rx_head;
        b->tail[i] = r->area->net[net_handles[i]].rx_tail;
    }
}

/* After a pass: the tender filled only slots the guest had freed, and
 * acknowledged the block request it served.  Only a changed rx_head is the
 * tender's: the guest may have written anything there before the pass
 * (the tender keeps its own copy), so the old value says nothing. */
static void check_pass(const struct ring *r, const struct rx_before *b,
        uint32_t seq_before, const struct hvt_ring_pass *pass)
{
    for (unsigned i = 0; i < 2; i++) {
        uint32_t head = r->area->net[net_handles[i]].rx_head;

        if (head != b->head[i])
            FUZZ_CHECK(head - b->tail[i] <= HVT_RING_SLOTS);
    }
    if (pass->block)
        FUZZ_CHECK(r->area->block.done == seq_before &&
                r->area->block.ret == SOLO5_R_OK);
}

static void check_sent(void)
{
    static uint8_t buf[65536];

    for (unsigned i = 0; i < 2; i++) {
        const struct mft_entry *e = &fake.mft->e[net_handles[i]];
        ssize_t n;

        while ((n = recv(fake.peer[net_handles[i]], buf, sizeof(buf),
                        MSG_DONTWAIT)) >= 0)
            FUZZ_CHECK(n > 0 && (size_t)n <= e->u.net_basic.mtu +
                    (size_t)SOLO5_NET_HLEN);
    }
}

/* Runs the program; false once the tender refused what the guest did. */
static bool step(struct ring *r, struct fuzz_in *in)
{
    struct hvt_ring_pass pass;
    struct tender_err err = { { 0 } };
    unsigned op = (unsigned)fuzz_take(in, 1) % 8;
    struct rx_before rx;
    uint32_t seq;

    switch (op) {
    case 0:
        seq = r->area->block.seq;
        rx_snapshot(r, &rx);
        if (hvt_ring_serve(&fake.h, &pass, &err) != 0) {
            FUZZ_CHECK(err.msg[0] != '\0');
            return false;
        }
        check_pass(r, &rx, seq, &pass);
        check_sent();
        return true;
    case 1:
        op_poke(r, in);
        return true;
    case 2:
        op_frame(r, in);
        return true;
    case 3:
        op_tap(in);
        return true;
    case 4:
        r->area->guest_on = 1;
        return true;
    case 5:
        op_block(r, in);
        return true;
    default:
        op_index(r, in, op == 6);
        return true;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t nothing[1];
    struct fuzz_in in = { data, size, 0 };
    struct ring r;

    fake_hvt_reset(&fake, nothing, 0);
    ring_open(&r);
    for (unsigned i = 0; i < MAX_OPS && in.pos < in.size; i++)
        if (!step(&r, &in))
            break;
    check_sent();
    fake_hvt_check_blocks(&fake);
    ring_close();
    return 0;
}
