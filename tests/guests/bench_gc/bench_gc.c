/*
 * bench_gc: a unikernel that behaves like a garbage-collected language
 * runtime (an OCaml program on MirageOS), for bench/workloads.py: the
 * memory and console patterns such a runtime has, timed phase by phase with
 * its own clock (solo5_clock_monotonic), so that hvt and spt can be
 * compared on what the guest itself sees.
 *
 *   bench_gc [SCALE]     SCALE 1..64 (default 4) multiplies the work
 *   bench_gc touch       first touch alone: one write per 4 KiB page over
 *                        64 MiB, twice; prints the ns per page of each pass
 *                        ("bench_gc: first=<ns> again=<ns>")
 *
 * Phases (sizes at SCALE 4; the heap must hold ~120 MiB: --mem=160):
 *   fresh  bump allocation of small objects through 64 MiB of memory never
 *          touched before (a growing major heap): first-touch faults
 *   minor  a 2 MiB minor heap (OCaml's default 256k words) filled with
 *          small objects 128 times; 1 in 32 survives and is copied into
 *          the major heap (fresh memory again)
 *   chase  pointer chasing through a random cycle of 64-byte nodes
 *          spread over 48 MiB (TLB and cache misses); building the cycle
 *          is the "build" figure
 *   print  4000 short console writes of one formatted line each (a log
 *          line flushed per write, as Printf + flush does)
 *   float  400000 doubles formatted like "%.12g" into memory
 *
 * Prints, in one console write at the end,
 *   bench_gc: fresh=<ns> minor=<ns> build=<ns> chase=<ns> print=<ns>
 *   float=<ns> total=<ns> check=<hex>
 * where check depends on every phase's result (nothing is optimised away).
 */
#include "bench_args.h"

#define MIB (1024ULL * 1024)

struct arena {
    uint8_t *next, *end;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* An object of 2..8 words (header + fields), as a runtime lays them out. */
static uint64_t *alloc(struct arena *a, uint64_t words)
{
    uint64_t *obj = (uint64_t *)a->next;

    if (a->next + words * 8 > a->end)
        return NULL;
    a->next += words * 8;
    obj[0] = words << 10 | 0xf7; /* size and tag, like an OCaml header */
    for (uint64_t i = 1; i < words; i++)
        obj[i] = (uint64_t)obj ^ i;
    return obj;
}

/* Fills `bytes` of fresh memory with objects; returns a checksum. */
static uint64_t phase_fresh(struct arena *heap, uint64_t bytes)
{
    struct arena a = { heap->next, heap->next + bytes };
    uint64_t sum = 0, *obj;

    while ((obj = alloc(&a, 2 + rng() % 7)) != NULL)
        sum += obj[1];
    heap->next = a.end;
    return sum;
}

/* Fills the minor heap `rounds` times; survivors go to the major heap. */
static uint64_t phase_minor(struct arena *heap, uint64_t minor_bytes, uint64_t rounds)
{
    uint8_t *minor = heap->next;
    struct arena major = { minor + minor_bytes, heap->end };
    uint64_t sum = 0, *obj, *copy;

    for (uint64_t r = 0; r < rounds; r++) {
        struct arena a = { minor, minor + minor_bytes };

        while ((obj = alloc(&a, 2 + rng() % 7)) != NULL) {
            if (rng() % 32 != 0)
                continue;
            copy = alloc(&major, obj[0] >> 10);
            if (copy == NULL)
                return sum;
            memcpy(copy + 1, obj + 1, ((obj[0] >> 10) - 1) * 8);
            sum += copy[1];
        }
    }
    heap->next = major.next;
    return sum;
}

/* A random cycle through `bytes` / 64 nodes (Sattolo's shuffle). */
static uint64_t *build_cycle(struct arena *heap, uint64_t bytes)
{
    uint64_t n = bytes / 64, *nodes = (uint64_t *)heap->next;

    heap->next += n * 64;
    for (uint64_t i = 0; i < n; i++)
        nodes[i * 8] = i;
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = rng() % i, t = nodes[i * 8];

        nodes[i * 8] = nodes[j * 8];
        nodes[j * 8] = t;
    }
    /* Node i's first word becomes the address of its successor. */
    for (uint64_t i = 0; i < n; i++)
        nodes[i * 8] = (uint64_t)&nodes[nodes[i * 8] * 8];
    return nodes;
}

static uint64_t phase_chase(const uint64_t *start, uint64_t steps)
{
    const uint64_t *p = start;

    while (steps--)
        p = (const uint64_t *)*p;
    return (uint64_t)p;
}

/* Formats v like printf's "%.12g" (finite values only); returns length. */
static size_t format_g(char *buf, double v)
{
    size_t n = 0;
    int exp10 = 0;
    uint64_t digits;

    if (v < 0) {
        buf[n++] = '-';
        v = -v;
    }
    if (v == 0) {
        buf[n++] = '0';
        return n;
    }
    while (v >= 10.0) {
        v /= 10.0;
        exp10++;
    }
    while (v < 1.0) {
        v *= 10.0;
        exp10--;
    }
    digits = (uint64_t)(v * 1e11 + 0.5);
    for (int i = 11; i >= 0; i--, digits /= 10)
        buf[n + (size_t)i + (i > 0)] = (char)('0' + digits % 10);
    buf[n + 1] = '.';
    n += 13;
    while (buf[n - 1] == '0')
        n--;
    if (buf[n - 1] == '.')
        n--;
    if (exp10 != 0) {
        buf[n++] = 'e';
        buf[n++] = exp10 < 0 ? '-' : '+';
        if (exp10 < 0)
            exp10 = -exp10;
        buf[n++] = (char)('0' + exp10 / 10);
        buf[n++] = (char)('0' + exp10 % 10);
    }
    return n;
}

static uint64_t phase_float(uint64_t count)
{
    char buf[32];
    uint64_t sum = 0;
    double v = 1.0 / 3.0;

    for (uint64_t i = 0; i < count; i++) {
        v = v * 1.000001 + (double)(i % 1000) * 0.001;
        sum += format_g(buf, v) + (uint8_t)buf[2];
    }
    return sum;
}

/* "tick <i>: <value>\n", one console write per line. */
static uint64_t phase_print(uint64_t lines)
{
    char line[64];
    double v = 2.718281828;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < lines; i++) {
        size_t n = 0;

        memcpy(line, "tick ", 5);
        n = 5;
        n += format_g(line + n, (double)i);
        line[n++] = ':';
        line[n++] = ' ';
        v = v * 1.0001;
        n += format_g(line + n, v);
        line[n++] = '\n';
        solo5_console_write(line, n);
        sum += n;
    }
    return sum;
}

struct report {
    char text[512];
    size_t len;
};

static void add(struct report *r, const char *s)
{
    while (*s && r->len < sizeof(r->text) - 1)
        r->text[r->len++] = *s++;
}

static void add_num(struct report *r, const char *name, uint64_t v, unsigned base)
{
    char buf[24];
    size_t i = sizeof(buf);

    buf[--i] = '\0';
    do {
        buf[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    add(r, name);
    add(r, &buf[i]);
}

/* ns per page of one write to each 4 KiB page of `bytes` at `p`. */
static uint64_t touch_pages(volatile uint8_t *p, uint64_t bytes)
{
    uint64_t t0 = solo5_clock_monotonic();

    for (uint64_t off = 0; off < bytes; off += 4096)
        p[off] = (uint8_t)off;
    return (solo5_clock_monotonic() - t0) / (bytes / 4096);
}

static int touch(const struct solo5_start_info *si)
{
    struct report r = { .len = 0 };
    uint64_t bytes = 64 * MIB, first, again;

    if (si->heap_size < bytes)
        return guest_failure("heap too small: raise --mem");
    first = touch_pages((uint8_t *)si->heap_start, bytes);
    again = touch_pages((uint8_t *)si->heap_start, bytes);
    add_num(&r, "bench_gc: first=", first, 10);
    add_num(&r, " again=", again, 10);
    add(&r, "\n");
    solo5_console_write(r.text, r.len);
    return SOLO5_EXIT_SUCCESS;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char w[BENCH_MAX_WORDS][BENCH_WORD_SIZE];
    uint64_t scale = 4, check = 0, t[7];
    struct arena heap = { (uint8_t *)si->heap_start, (uint8_t *)si->heap_start + si->heap_size };
    struct report r = { .len = 0 };
    int n = bench_words(si->cmdline, w);

    if (n == 1 && strcmp(w[0], "touch") == 0)
        return touch(si);
    if (n > 1 || (n == 1 && (!guest_parse_dec(w[0], &scale) || scale == 0 || scale > 64)))
        return guest_failure("usage: bench_gc [SCALE 1..64 | touch]");
    /* fresh + survivors (1/32 of 64 MiB per scale unit) + cycle + minor. */
    if (si->heap_size < scale * (16 + 1 + 12) * MIB + 4 * MIB)
        return guest_failure("heap too small for SCALE: raise --mem");
    t[0] = solo5_clock_monotonic();
    check += phase_fresh(&heap, scale * 16 * MIB);
    t[1] = solo5_clock_monotonic();
    check += phase_minor(&heap, 2 * MIB, scale * 32);
    t[2] = solo5_clock_monotonic();
    const uint64_t *cycle = build_cycle(&heap, scale * 12 * MIB);
    t[3] = solo5_clock_monotonic();
    check += phase_chase(cycle, scale * 1000000);
    t[4] = solo5_clock_monotonic();
    check += phase_print(scale * 1000);
    t[5] = solo5_clock_monotonic();
    check += phase_float(scale * 100000);
    t[6] = solo5_clock_monotonic();

    add_num(&r, "bench_gc: fresh=", t[1] - t[0], 10);
    add_num(&r, " minor=", t[2] - t[1], 10);
    add_num(&r, " build=", t[3] - t[2], 10);
    add_num(&r, " chase=", t[4] - t[3], 10);
    add_num(&r, " print=", t[5] - t[4], 10);
    add_num(&r, " float=", t[6] - t[5], 10);
    add_num(&r, " total=", t[6] - t[0], 10);
    add_num(&r, " check=", check, 16);
    add(&r, "\n");
    solo5_console_write(r.text, r.len);
    return SOLO5_EXIT_SUCCESS;
}
