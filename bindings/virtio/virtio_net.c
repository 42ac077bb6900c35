/*
 * virtio_net.c: virtio network devices.
 *
 * Queue 0 receives, queue 1 transmits.  Every descriptor has its own
 * buffer holding the legacy virtio-net header followed by the frame.
 * All receive buffers are given to the device at start-up and handed back
 * as soon as a frame is copied out.  Transmit buffers are reused once the
 * device has returned them; when none is free the frame is dropped, as
 * solo5_net_write() allows.
 */
#include "virtio.h"

#define VIRTIO_NET_F_MTU (1U << 3)
#define VIRTIO_NET_F_MAC (1U << 5)
#define VIRTIO_NET_CONFIG_MAC 0
#define VIRTIO_NET_CONFIG_MTU 10
#define VIRTIO_NET_QUEUE_RX 0
#define VIRTIO_NET_QUEUE_TX 1
#define VIRTIO_NET_DEFAULT_MTU 1500
#define VIRTIO_NET_MAX_MTU 9000
#define MAX_NET_DEVICES 16

/* The legacy header, without the num_buffers field (MRG_RXBUF is not
 * negotiated). */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};

struct net_device {
    const struct mft_entry *entry;
    struct virtq rx, tx;
    uint8_t *rx_buffers, *tx_buffers;
    size_t buffer_size;
    uint16_t tx_in_flight;
};

static struct net_device devices[MAX_NET_DEVICES];
static unsigned n_devices;

static void rx_post(struct net_device *d, uint16_t i)
{
    d->rx.desc[i] = (struct virtq_desc) {
        .addr = (uintptr_t)(d->rx_buffers + (size_t)i * d->buffer_size),
        .len = (uint32_t)d->buffer_size,
        .flags = VIRTQ_DESC_F_WRITE,
    };
    virtq_submit(&d->rx, i);
}

bool virtio_net_init(struct mft_entry *e, uint16_t iobase)
{
    struct net_device *d;
    uint32_t wanted;
    uint16_t mtu = VIRTIO_NET_DEFAULT_MTU;

    if (n_devices == MAX_NET_DEVICES) {
        bindings_log(BINDINGS_LOG_WARN,
                "Solo5: virtio: more than %d network devices\n",
                MAX_NET_DEVICES);
        return false;
    }
    d = &devices[n_devices];

    wanted = virtio_device_begin(iobase, VIRTIO_NET_F_MAC | VIRTIO_NET_F_MTU);

    if (wanted & VIRTIO_NET_F_MTU) {
        mtu = virtio_inw(iobase + VIRTIO_PCI_CONFIG + VIRTIO_NET_CONFIG_MTU);
        if (mtu > VIRTIO_NET_MAX_MTU)
            mtu = VIRTIO_NET_MAX_MTU;
    }
    if (wanted & VIRTIO_NET_F_MAC) {
        for (int i = 0; i < SOLO5_NET_ALEN; i++)
            e->u.net_basic.mac[i] = virtio_inb(iobase + VIRTIO_PCI_CONFIG +
                    VIRTIO_NET_CONFIG_MAC + i);
    } else {
        /* Locally administered, unicast, from the TSC. */
        uint64_t r = bindings_cpu_cycles();

        for (int i = 0; i < SOLO5_NET_ALEN; i++)
            e->u.net_basic.mac[i] = (uint8_t)(r >> (8 * i));
        e->u.net_basic.mac[0] = (e->u.net_basic.mac[0] & ~1) | 2;
    }
    e->u.net_basic.mtu = mtu;

    if (!virtq_init(&d->rx, iobase, VIRTIO_NET_QUEUE_RX) ||
            !virtq_init(&d->tx, iobase, VIRTIO_NET_QUEUE_TX)) {
        virtio_outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
        bindings_log(BINDINGS_LOG_WARN, "Solo5: virtio-net: no queues\n");
        return false;
    }
    d->buffer_size = bindings_align_up(sizeof(struct virtio_net_hdr) +
            SOLO5_NET_HLEN + mtu, 64);
    d->rx_buffers = virtio_alloc_pages(d->buffer_size * d->rx.size);
    d->tx_buffers = virtio_alloc_pages(d->buffer_size * d->tx.size);
    d->entry = e;
    virtio_outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACK |
            VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    for (uint16_t i = 0; i < d->rx.size; i++)
        rx_post(d, i);
    n_devices++;
    return true;
}

static struct net_device *device_of(const struct mft_entry *e)
{
    for (unsigned i = 0; i < n_devices; i++) {
        if (devices[i].entry == e)
            return &devices[i];
    }
    return NULL;
}

solo5_handle_set_t virtio_net_ready(void)
{
    const struct mft *mft = bindings_mft();
    solo5_handle_set_t ready = 0;

    for (unsigned i = 0; i < n_devices; i++) {
        if (virtq_has_used(&devices[i].rx))
            ready |= 1ULL << (devices[i].entry - mft->e);
    }
    return ready;
}

solo5_result_t platform_net_write(const struct mft_entry *e,
        const uint8_t *buf, size_t size)
{
    struct net_device *d = device_of(e);
    uint16_t slot;
    uint8_t *p;

    if (d == NULL || size > d->buffer_size - sizeof(struct virtio_net_hdr))
        return SOLO5_R_EINVAL;
    while (virtq_has_used(&d->tx)) {
        (void)virtq_take_used(&d->tx);
        d->tx_in_flight--;
    }
    if (d->tx_in_flight == d->tx.size)
        return SOLO5_R_OK; /* no free buffer: dropped */
    slot = d->tx.avail_idx % d->tx.size;
    p = d->tx_buffers + (size_t)slot * d->buffer_size;
    bindings_memset(p, 0, sizeof(struct virtio_net_hdr));
    bindings_memcpy(p + sizeof(struct virtio_net_hdr), buf, size);
    d->tx.desc[slot] = (struct virtq_desc) {
        .addr = (uintptr_t)p,
        .len = (uint32_t)(sizeof(struct virtio_net_hdr) + size),
    };
    d->tx_in_flight++;
    virtq_submit(&d->tx, slot);
    return SOLO5_R_OK;
}

/* Before power-off: QEMU sends queued frames from its own thread, and
 * isa-debug-exit ends QEMU at once, so a reply written just before
 * solo5_exit() would be lost.  Wait until the device has taken every frame
 * solo5_net_write() accepted, for at most `timeout` ns. */
void virtio_net_flush(solo5_time_t timeout)
{
    solo5_time_t deadline;

    if (n_devices == 0)
        return; /* also before the clock is set up (an early panic) */
    deadline = solo5_clock_monotonic() + timeout;
    for (unsigned i = 0; i < n_devices; i++) {
        const struct virtq *tx = &devices[i].tx;

        while (tx->used->idx != tx->avail_idx &&
                solo5_clock_monotonic() < deadline)
            bindings_cpu_pause();
    }
}

solo5_result_t platform_net_read(const struct mft_entry *e, uint8_t *buf,
        size_t size, size_t *read_size)
{
    struct net_device *d = device_of(e);
    struct virtq_used_elem elem;
    size_t len;
    solo5_result_t result = SOLO5_R_OK;

    if (d == NULL)
        return SOLO5_R_EINVAL;
    if (!virtq_has_used(&d->rx))
        return SOLO5_R_AGAIN;
    elem = virtq_take_used(&d->rx);
    if (elem.id >= d->rx.size)
        BINDINGS_PANIC("virtio-net returned descriptor %u", elem.id);
    len = elem.len > sizeof(struct virtio_net_hdr)
        ? elem.len - sizeof(struct virtio_net_hdr) : 0;
    if (len > size || len > d->buffer_size - sizeof(struct virtio_net_hdr)) {
        result = SOLO5_R_EINVAL;
    } else {
        bindings_memcpy(buf, d->rx_buffers + (size_t)elem.id * d->buffer_size +
                sizeof(struct virtio_net_hdr), len);
        *read_size = len;
    }
    rx_post(d, (uint16_t)elem.id);
    return result;
}
