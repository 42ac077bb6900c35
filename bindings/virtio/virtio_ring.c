/*
 * virtio_ring.c: legacy (virtio 0.9.5 / 1.0 "transitional") split
 * virtqueues, polled.
 *
 * Layout the legacy interface requires, in one physically contiguous,
 * page-aligned area: the descriptor table, the available ring, padding to
 * the next page, the used ring.  The guest is identity-mapped, so virtual
 * addresses are what the device sees.
 */
#include "virtio.h"

#define VIRTQ_ALIGN 4096

static size_t virtq_used_offset(uint16_t size)
{
    size_t avail_end = sizeof(struct virtq_desc) * size +
        sizeof(uint16_t) * (3 + (size_t)size);

    return bindings_align_up(avail_end, VIRTQ_ALIGN);
}

bool virtq_init(struct virtq *q, uint16_t iobase, uint16_t index)
{
    uint16_t size;
    size_t used_offset, total;
    uint8_t *area;

    virtio_outw(iobase + VIRTIO_PCI_QUEUE_SEL, index);
    size = virtio_inw(iobase + VIRTIO_PCI_QUEUE_SIZE);
    if (size == 0)
        return false;
    used_offset = virtq_used_offset(size);
    total = used_offset + sizeof(uint16_t) * 3 +
        sizeof(struct virtq_used_elem) * size;
    area = virtio_alloc_pages(total);

    q->iobase = iobase;
    q->index = index;
    q->size = size;
    q->avail_idx = 0;
    q->used_seen = 0;
    q->desc = (struct virtq_desc *)area;
    q->avail = (struct virtq_avail *)(area + sizeof(struct virtq_desc) * size);
    q->used = (volatile struct virtq_used *)(area + used_offset);
    virtio_outl(iobase + VIRTIO_PCI_QUEUE_PFN,
            (uint32_t)((uintptr_t)area / VIRTQ_ALIGN));
    return true;
}

void virtq_submit(struct virtq *q, uint16_t head)
{
    q->avail->ring[q->avail_idx % q->size] = head;
    /* The descriptor and ring slot must be visible before the index; x86
     * keeps stores in order, the compiler must too. */
    __asm__ __volatile__("" : : : "memory");
    q->avail_idx++;
    *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
    __asm__ __volatile__("mfence" : : : "memory");
    virtio_outw(q->iobase + VIRTIO_PCI_QUEUE_NOTIFY, q->index);
}

bool virtq_has_used(const struct virtq *q)
{
    return q->used->idx != q->used_seen;
}

struct virtq_used_elem virtq_take_used(struct virtq *q)
{
    struct virtq_used_elem elem;

    __asm__ __volatile__("" : : : "memory");
    elem.id = q->used->ring[q->used_seen % q->size].id;
    elem.len = q->used->ring[q->used_seen % q->size].len;
    q->used_seen++;
    return elem;
}

uint32_t virtio_device_begin(uint16_t iobase, uint32_t wanted)
{
    uint32_t accepted;

    virtio_outb(iobase + VIRTIO_PCI_STATUS, 0);
    virtio_outb(iobase + VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACK);
    virtio_outb(iobase + VIRTIO_PCI_STATUS,
            VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    accepted = virtio_inl(iobase + VIRTIO_PCI_HOST_FEATURES) & wanted;
    virtio_outl(iobase + VIRTIO_PCI_GUEST_FEATURES, accepted);
    return accepted;
}
