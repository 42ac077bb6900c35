/*
 * hvt_readahead.c: sequential small block reads without a hand-off each.
 *
 * Through the I/O rings a block request is a hand-off to the tender's I/O
 * thread on another CPU and back: ~0.6 us here, where a host process's
 * 512-byte pread from the page cache costs ~0.2 us, so small reads ran at
 * a quarter of the host's rate (docs/performance.md, "Round 7").  A guest
 * that reads a device in order (a file system or archive scan, a log
 * replay) therefore gets what follows read ahead, as an OS's page cache
 * would: after two reads in a row of at most HVT_RA_SMALL bytes, the
 * bindings post a read of the window that follows into one of two
 * buffers and return without waiting for it; reads that fall in a window
 * are copies, and the first read from a window posts the next one into
 * the other buffer, so the I/O thread reads while the guest copies.
 * Anything else (a read elsewhere, a larger one, a window the tender
 * failed) is one request, as before.
 *
 * Consistency: the ring serves one request at a time, in order, and at
 * most one window is in flight.  Any request first lands that window
 * (ra_settle()), and a write then forgets every window it overlaps, so a
 * read never returns data older than the guest's last write.
 *
 * The buffers sit in the gap below the heap when the heap was moved up to
 * a large page and they fit there, else come off the heap's start; only
 * for a guest with a block device and a heap of 2 MiB or more
 * (hvt_readahead_init()).
 */
#include "hvt.h"

extern char _end[];

/* One buffer; a window is at most this, and the whole blocks of it. */
#define HVT_RA_WINDOW (64UL * 1024)
#define HVT_RA_BUFFERS 2
/* Reads up to this many bytes are read ahead; larger ones already run
 * near the host's rate (0.75-1.0x at 64 KiB). */
#define HVT_RA_SMALL (16UL * 1024)
/* The heap must keep this many times what the buffers take. */
#define HVT_RA_HEAP_FACTOR 16

enum ra_state { RA_EMPTY, RA_IN_FLIGHT, RA_READY };

struct ra_window {
    enum ra_state state;
    uint64_t handle;
    solo5_off_t start;
    size_t len;
    uint32_t seq;               /* its request, while in flight */
    uint8_t *data;
};

static struct ra_window ra_windows[HVT_RA_BUFFERS];
static bool ra_on;
/* Where the last read ended: the next read there is sequential. */
static uint64_t ra_last_handle;
static solo5_off_t ra_last_end;
/* The last window the tender failed (a bad region of the file): not
 * posted again, or every read in order near it would wait for one more
 * failing request.  Forgotten when the guest writes into it. */
static struct {
    bool set;
    uint64_t handle;
    solo5_off_t start;
} ra_failed;

static bool has_block_device(void)
{
    const struct mft *mft = bindings_mft();

    for (unsigned i = 1; i < mft->entries; i++) {
        if (mft->e[i].type == MFT_DEV_BLOCK_BASIC)
            return true;
    }
    return false;
}

/* The buffers: in the gap that bindings_mem_init() left below a heap it
 * moved up to a large page, when they fit there (the heap keeps its
 * start), else off the heap's start. */
static uintptr_t ra_place(struct bindings_heap *heap, size_t need)
{
    uintptr_t end = bindings_align_up((uintptr_t)_end, BINDINGS_PAGE_SIZE);

    if (heap->start - end >= need)
        return heap->start - need;
    heap->start += need;
    heap->size -= need;
    return heap->start - need;
}

void hvt_readahead_init(struct bindings_heap *heap)
{
    const size_t need = HVT_RA_BUFFERS * HVT_RA_WINDOW;
    uintptr_t at;

    if (!hvt_ring_active() || !has_block_device() ||
            heap->size < HVT_RA_HEAP_FACTOR * need)
        return;
    at = ra_place(heap, need);
    for (unsigned i = 0; i < HVT_RA_BUFFERS; i++)
        ra_windows[i].data = (uint8_t *)at + i * HVT_RA_WINDOW;
    bindings_log(BINDINGS_LOG_DEBUG, "Solo5: hvt: block read-ahead @ "
            "(0x%lx - 0x%lx)\n", (unsigned long)at,
            (unsigned long)(at + need - 1));
    ra_on = true;
}

bool hvt_readahead_on(void)
{
    return ra_on;
}

/* A window in flight becomes ready, or empty if the tender failed it (the
 * guest's own request for those blocks then gets the error). */
static void ra_land(struct ra_window *w)
{
    solo5_result_t rc = hvt_ring_block_wait(w->seq);

    w->state = rc == SOLO5_R_OK ? RA_READY : RA_EMPTY;
    if (rc != SOLO5_R_OK) {
        ra_failed.set = true;
        ra_failed.handle = w->handle;
        ra_failed.start = w->start;
    }
}

static void ra_settle(void)
{
    for (unsigned i = 0; i < HVT_RA_BUFFERS; i++) {
        if (ra_windows[i].state == RA_IN_FLIGHT)
            ra_land(&ra_windows[i]);
    }
}

/* Posts the window at `start` of device e into w, whole blocks up to the
 * device's end; nothing past it.  Nothing else is in flight. */
static void ra_fetch(struct ra_window *w, const struct mft_entry *e,
        uint64_t handle, solo5_off_t start)
{
    uint64_t bs = e->u.block_basic.block_size;
    uint64_t capacity = e->u.block_basic.capacity;
    uint64_t len;

    w->state = RA_EMPTY;
    if (start >= capacity || bs > HVT_RA_WINDOW ||
            (ra_failed.set && ra_failed.handle == handle &&
             ra_failed.start == start))
        return;
    len = capacity - start < HVT_RA_WINDOW ? capacity - start : HVT_RA_WINDOW;
    len -= len % bs;
    if (len == 0)
        return;
    w->handle = handle;
    w->start = start;
    w->len = (size_t)len;
    w->seq = hvt_ring_block_post(HVT_RING_BLOCK_READ, handle, start,
            (uintptr_t)w->data, w->len);
    w->state = RA_IN_FLIGHT;
}

/* The window holding `offset` of the device, landed; NULL if none. */
static struct ra_window *ra_find(uint64_t handle, solo5_off_t offset)
{
    for (unsigned i = 0; i < HVT_RA_BUFFERS; i++) {
        struct ra_window *w = &ra_windows[i];

        if (w->state == RA_EMPTY || w->handle != handle ||
                offset < w->start || offset - w->start >= w->len)
            continue;
        if (w->state == RA_IN_FLIGHT)
            ra_land(w);
        return w->state == RA_READY ? w : NULL;
    }
    return NULL;
}

/* The guest reads from w: the window after it goes into the next buffer,
 * unless it is there already. */
static void ra_follow(const struct mft_entry *e, const struct ra_window *w)
{
    struct ra_window *o = &ra_windows[(w - ra_windows + 1) % HVT_RA_BUFFERS];
    solo5_off_t next = w->start + w->len;

    if (o->state != RA_EMPTY && o->handle == w->handle && o->start == next)
        return;
    ra_settle();
    ra_fetch(o, e, w->handle, next);
}

/* Copies what the windows hold of [offset, offset + size), from its
 * start on; returns how many bytes. */
static size_t ra_copy(const struct mft_entry *e, uint64_t handle,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    size_t done = 0;

    while (done < size) {
        struct ra_window *w = ra_find(handle, offset + done);
        size_t at, n;

        if (w == NULL)
            break;
        at = (size_t)(offset + done - w->start);
        n = w->len - at < size - done ? w->len - at : size - done;
        bindings_memcpy(buf + done, w->data + at, n);
        done += n;
        ra_follow(e, w);
    }
    return done;
}

solo5_result_t hvt_readahead_read(const struct mft_entry *e, uint64_t handle,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    bool small = size <= HVT_RA_SMALL;
    bool in_order = handle == ra_last_handle && offset == ra_last_end;
    solo5_result_t rc = SOLO5_R_OK;
    size_t got = 0;

    /* What the windows hold, then the rest from the tender; a small read
     * in order there starts the window after it. */
    if (small)
        got = ra_copy(e, handle, offset, buf, size);
    if (got < size) {
        ra_settle();
        rc = hvt_ring_block(HVT_RING_BLOCK_READ, handle, offset + got,
                (uintptr_t)(buf + got), size - got);
        if (rc == SOLO5_R_OK && small && in_order)
            ra_fetch(&ra_windows[0], e, handle, offset + size);
    }
    ra_last_handle = handle;
    ra_last_end = offset + size;
    return rc;
}

/* The windows of `handle` that [offset, offset + size) overlaps are
 * dropped, and a failed window there may be tried again. */
static void ra_forget(uint64_t handle, solo5_off_t offset, size_t size)
{
    for (unsigned i = 0; i < HVT_RA_BUFFERS; i++) {
        struct ra_window *w = &ra_windows[i];

        if (w->state != RA_EMPTY && w->handle == handle &&
                offset < w->start + w->len && w->start < offset + size)
            w->state = RA_EMPTY;
    }
    if (ra_failed.set && ra_failed.handle == handle &&
            offset < ra_failed.start + HVT_RA_WINDOW &&
            ra_failed.start < offset + size)
        ra_failed.set = false;
}

solo5_result_t hvt_readahead_write(uint64_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size)
{
    ra_settle();
    ra_forget(handle, offset, size);
    return hvt_ring_block(HVT_RING_BLOCK_WRITE, handle, offset,
            (uintptr_t)buf, size);
}
