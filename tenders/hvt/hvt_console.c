/*
 * hvt_console.c: the console ring (struct hvt_ring_console in the I/O ring
 * area; docs/kvm-pvm.md "Console ring"): console output without a VM exit
 * per write, which costs ~40 us on kvm-pvm (a log line per request was a
 * full exit each).
 *
 * The guest appends bytes at head and kicks the I/O thread if it sleeps.
 * Whichever tender thread takes the ring first writes what is queued to
 * standard output and advances tail: the I/O thread on its rounds, the vCPU
 * thread at every hypercall exit.  The vCPU thread also empties it
 * completely before PUTS (a write too big for the ring: output keeps its
 * order), at HALT, and before the tender reports a fatal error, so that
 * everything the guest wrote is out before the tender's last word.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "hvt.h"

struct hvt_console {
    struct hvt_ring_console *ring;  /* in the area */
    uint8_t *data;                  /* host address of ring->data */
    uint32_t tail;                  /* the tender's own copy */
    int busy;                       /* taken by the thread writing out */
};

int hvt_console_layout(struct hvt *h, struct hvt_ring_console *ring,
        uint8_t *data, uint64_t data_gpa, struct tender_err *err)
{
    struct hvt_console *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return tender_err_set(err, "out of memory for the console ring");
    c->ring = ring;
    c->data = data;
    ring->size = HVT_RING_CONSOLE_SIZE;
    ring->data = data_gpa;
    h->console = c;
    return 0;
}

void hvt_console_free(struct hvt *h)
{
    free(h->console);
    h->console = NULL;
}

bool hvt_console_pending(const struct hvt *h)
{
    const struct hvt_console *c = h->console;

    return c != NULL && __atomic_load_n(&c->ring->head, __ATOMIC_ACQUIRE) !=
        __atomic_load_n(&c->ring->tail, __ATOMIC_ACQUIRE);
}

/* Best effort, as PUTS: what cannot be written is lost (a closed pipe ends
 * the tender with SIGPIPE, as it would any program). */
static void hvt_console_write(const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* Writes out [tail, head); the caller holds c->busy. */
static int hvt_console_out_held(struct hvt_console *c, struct tender_err *err)
{
    uint32_t head = __atomic_load_n(&c->ring->head, __ATOMIC_ACQUIRE);
    uint32_t size = HVT_RING_CONSOLE_SIZE, at, first;

    if (head - c->tail > size)
        return tender_err_set(err, "Invalid I/O ring index: console "
                "head=%u, tail=%u", head, c->tail);
    if (head == c->tail)
        return 0;
    at = c->tail % size;
    first = head - c->tail < size - at ? head - c->tail : size - at;
    hvt_console_write(c->data + at, first);
    hvt_console_write(c->data, head - c->tail - first);
    c->tail = head;
    __atomic_store_n(&c->ring->tail, head, __ATOMIC_RELEASE);
    return 0;
}

int hvt_console_out(struct hvt *h, bool *work, struct tender_err *err)
{
    struct hvt_console *c = h->console;
    int rc;

    *work = false;
    if (!hvt_console_pending(h) ||
            __atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE) != 0)
        return 0;
    *work = true;
    rc = hvt_console_out_held(c, err);
    __atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
    return rc;
}

int hvt_console_flush(struct hvt *h, struct tender_err *err)
{
    bool work;

    while (hvt_console_pending(h)) {
        if (hvt_console_out(h, &work, err) != 0)
            return -1;
        if (!work)
            sched_yield();      /* the I/O thread is writing it out */
    }
    return 0;
}
