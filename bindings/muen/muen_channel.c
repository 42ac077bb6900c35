/*
 * muen_channel.c: SHMStream v2 channels.  One writer, any number of
 * readers, no locks: the writer bumps WSC before it writes an element and
 * WC after; a reader that finds WSC more than a channel's worth ahead of
 * its own counter knows it was overrun.
 */
#include "muen.h"

static uint64_t header_size(void)
{
    return sizeof(struct muen_channel_header);
}

bool muen_writer_init(struct muen_writer *w, const struct muen_channel_info *c,
        uint64_t protocol, uint64_t element_size, uint64_t epoch)
{
    struct muen_channel_header *h;

    if (c == NULL || !(c->flags & MUEN_CHANNEL_WRITABLE) ||
            c->size < header_size() + element_size)
        return false;
    h = (struct muen_channel_header *)(uintptr_t)c->address;
    h->epoch = MUEN_NULL_EPOCH;
    __asm__ __volatile__("" : : : "memory");
    h->transport = MUEN_SHMSTREAM_MARKER;
    h->protocol = protocol;
    h->size = element_size;
    h->elements = (c->size - header_size()) / element_size;
    h->reserved = 0;
    h->wsc = 0;
    h->wc = 0;
    __asm__ __volatile__("" : : : "memory");
    h->epoch = epoch;
    w->header = h;
    w->data = (uint8_t *)h + header_size();
    w->elements = h->elements;
    w->size = element_size;
    return true;
}

void muen_writer_write(struct muen_writer *w, const void *element)
{
    uint64_t wc = w->header->wc;

    w->header->wsc = wc + 1;
    __asm__ __volatile__("" : : : "memory");
    bindings_memcpy(w->data + (wc % w->elements) * w->size, element, w->size);
    __asm__ __volatile__("" : : : "memory");
    w->header->wc = wc + 1;
}

void muen_reader_init(struct muen_reader *r, const struct muen_channel_info *c,
        uint64_t protocol)
{
    bindings_memset(r, 0, sizeof(*r));
    r->protocol = protocol;
    if (c != NULL) {
        r->header = (const struct muen_channel_header *)(uintptr_t)c->address;
        r->data = (const uint8_t *)r->header + header_size();
    }
}

/* (Re)synchronises with a new writer epoch; false if none is usable. */
static bool reader_sync(struct muen_reader *r)
{
    const struct muen_channel_header *h = r->header;
    uint64_t epoch;

    if (h == NULL)
        return false;
    epoch = h->epoch;
    if (epoch == MUEN_NULL_EPOCH)
        return false;
    if (epoch == r->epoch)
        return true;
    if (h->transport != MUEN_SHMSTREAM_MARKER || h->protocol != r->protocol ||
            h->elements == 0 || h->size == 0)
        return false;
    r->epoch = epoch;
    r->size = h->size;
    r->elements = h->elements;
    r->rc = 0;
    return true;
}

bool muen_reader_has_data(struct muen_reader *r)
{
    return reader_sync(r) && r->rc < r->header->wc;
}

enum muen_read_result muen_reader_read(struct muen_reader *r, void *element)
{
    const struct muen_channel_header *h = r->header;
    uint64_t rc;

    if (!reader_sync(r))
        return MUEN_READ_INACTIVE;
    rc = r->rc;
    if (rc >= h->wc)
        return MUEN_READ_EMPTY;
    bindings_memcpy(element, r->data + (rc % r->elements) * r->size, r->size);
    __asm__ __volatile__("" : : : "memory");
    /* Overwritten while we copied, or already before: skip ahead. */
    if (h->wsc > rc + r->elements) {
        r->rc = h->wc;
        return MUEN_READ_OVERRUN;
    }
    r->rc = rc + 1;
    return MUEN_READ_OK;
}
