/*
 * virtio_block.c: virtio block devices, one synchronous request at a time.
 *
 * A request is a chain of three descriptors: the header (read by the
 * device), the data (the caller's buffer itself: the guest is identity
 * mapped) and a status byte (written by the device).  The shared code has
 * already checked that the transfer is whole blocks inside the device; a
 * transfer larger than VIRTIO_BLK_CHUNK_MAX is sent as consecutive requests
 * of at most that size (a descriptor's length is 32 bits, and we negotiate
 * no size limit with the device, so we keep requests to a size every
 * implementation serves).  A failed request ends the transfer: the blocks
 * before it are transferred, the call returns SOLO5_R_EUNSPEC.
 */
#include "virtio.h"

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_CONFIG_CAPACITY 0 /* u64, in 512-byte sectors */
#define VIRTIO_BLK_SECTOR_SIZE 512
#define MAX_BLOCK_DEVICES 16
#define VIRTIO_BLK_CHUNK_MAX (1U << 20) /* bytes per request, whole sectors */

_Static_assert(VIRTIO_BLK_CHUNK_MAX % VIRTIO_BLK_SECTOR_SIZE == 0,
        "requests are whole sectors");

struct virtio_blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct block_device {
    const struct mft_entry *entry;
    struct virtq q;
    struct virtio_blk_req *req;
    volatile uint8_t *status;
};

static struct block_device devices[MAX_BLOCK_DEVICES];
static unsigned n_devices;

bool virtio_block_init(struct mft_entry *e, uint16_t iobase)
{
    struct block_device *d;
    uint64_t sectors;
    uint8_t *page;

    if (n_devices == MAX_BLOCK_DEVICES) {
        bindings_log(BINDINGS_LOG_WARN,
                "Solo5: virtio: more than %d block devices\n",
                MAX_BLOCK_DEVICES);
        return false;
    }
    d = &devices[n_devices];
    (void)virtio_device_begin(iobase, 0);
    sectors = virtio_inl(iobase + VIRTIO_PCI_CONFIG + VIRTIO_BLK_CONFIG_CAPACITY) |
        ((uint64_t)virtio_inl(iobase + VIRTIO_PCI_CONFIG +
                VIRTIO_BLK_CONFIG_CAPACITY + 4) << 32);
    if (!virtq_init(&d->q, iobase, 0) || d->q.size < 3) {
        virtio_outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
        bindings_log(BINDINGS_LOG_WARN, "Solo5: virtio-blk: no queue\n");
        return false;
    }
    page = virtio_alloc_pages(BINDINGS_PAGE_SIZE);
    d->req = (struct virtio_blk_req *)page;
    d->status = page + sizeof(struct virtio_blk_req);
    d->entry = e;
    e->u.block_basic.capacity = sectors * VIRTIO_BLK_SECTOR_SIZE;
    e->u.block_basic.block_size = VIRTIO_BLK_SECTOR_SIZE;
    virtio_outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACK |
            VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    n_devices++;
    return true;
}

static struct block_device *device_of(const struct mft_entry *e)
{
    for (unsigned i = 0; i < n_devices; i++) {
        if (devices[i].entry == e)
            return &devices[i];
    }
    return NULL;
}

/* One request of `len` bytes (whole sectors, at most the chunk size). */
static bool request(struct block_device *d, uint32_t type, solo5_off_t offset,
        uint8_t *buf, uint32_t len)
{
    *d->req = (struct virtio_blk_req) {
        .type = type, .sector = offset / VIRTIO_BLK_SECTOR_SIZE,
    };
    *d->status = 0xff;
    d->q.desc[0] = (struct virtq_desc) {
        .addr = (uintptr_t)d->req, .len = sizeof(*d->req),
        .flags = VIRTQ_DESC_F_NEXT, .next = 1,
    };
    d->q.desc[1] = (struct virtq_desc) {
        .addr = (uintptr_t)buf, .len = len,
        .flags = VIRTQ_DESC_F_NEXT |
            (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0),
        .next = 2,
    };
    d->q.desc[2] = (struct virtq_desc) {
        .addr = (uintptr_t)d->status, .len = 1, .flags = VIRTQ_DESC_F_WRITE,
    };
    virtq_submit(&d->q, 0);
    while (!virtq_has_used(&d->q))
        bindings_cpu_pause();
    (void)virtq_take_used(&d->q);
    return *d->status == VIRTIO_BLK_S_OK;
}

static solo5_result_t transfer(const struct mft_entry *e, uint32_t type,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    struct block_device *d = device_of(e);

    if (d == NULL)
        return SOLO5_R_EINVAL;
    while (size > 0) {
        uint32_t len = size < VIRTIO_BLK_CHUNK_MAX ? (uint32_t)size :
            VIRTIO_BLK_CHUNK_MAX;

        if (!request(d, type, offset, buf, len))
            return SOLO5_R_EUNSPEC;
        offset += len;
        buf += len;
        size -= len;
    }
    return SOLO5_R_OK;
}

solo5_result_t platform_block_write(const struct mft_entry *e,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    /* The device only reads the buffer of a write. */
    return transfer(e, VIRTIO_BLK_T_OUT, offset, (uint8_t *)(uintptr_t)buf,
            size);
}

solo5_result_t platform_block_read(const struct mft_entry *e,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    return transfer(e, VIRTIO_BLK_T_IN, offset, buf, size);
}
