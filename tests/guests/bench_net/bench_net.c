/*
 * bench_net: packet rates for bench/devices.py, on "service0".
 *
 *   bench_net tx SIZE COUNT   writes COUNT frames of SIZE bytes (broadcast,
 *                             EtherType 0x88b5) as fast as it can, then
 *                             prints "bench_net: tx frames=<n> ns=<elapsed>"
 *   bench_net rx COUNT        prints "ready", then counts frames until COUNT
 *                             arrived or none came for 1 s after the first,
 *                             and prints "bench_net: rx frames=<n>
 *                             bytes=<b> ns=<first to last frame>"; only
 *                             frames of EtherType 0x88b5 count (net_blast's:
 *                             one of the host's own IPv6 frames on a tap
 *                             that has just come up, arriving before the
 *                             blast, stretched <first to last> ten-fold)
 */
#include "bench_args.h"

#define NSEC_PER_SEC 1000000000ULL
/* The frames of this bench and of bench/net_blast.c (IEEE local
 * experimental EtherType). */
#define BENCH_ETHERTYPE 0x88b5

static uint8_t frame[9216 + SOLO5_NET_HLEN];

static void report(const char *what, uint64_t frames, uint64_t bytes, uint64_t ns)
{
    guest_puts("bench_net: ");
    guest_puts(what);
    guest_puts(" frames=");
    guest_put_dec(frames);
    guest_puts(" bytes=");
    guest_put_dec(bytes);
    guest_puts(" ns=");
    guest_put_dec(ns);
    guest_puts("\n");
}

static int tx(solo5_handle_t h, const struct solo5_net_info *info, uint64_t size,
              uint64_t count)
{
    uint64_t sent = 0, t0, t1;

    if (size < 60 || size > info->mtu + SOLO5_NET_HLEN)
        return guest_failure("SIZE must be 60..MTU+14");
    memset(frame, 0xff, SOLO5_NET_ALEN);
    memcpy(frame + 6, info->mac_address, SOLO5_NET_ALEN);
    frame[12] = BENCH_ETHERTYPE >> 8;
    frame[13] = BENCH_ETHERTYPE & 0xff;
    t0 = solo5_clock_monotonic();
    for (uint64_t i = 0; i < count; i++) {
        if (solo5_net_write(h, frame, size) == SOLO5_R_OK)
            sent++;
    }
    t1 = solo5_clock_monotonic();
    report("tx", sent, sent * size, t1 - t0);
    return guest_success();
}

static int rx(solo5_handle_t h, const struct solo5_net_info *info, uint64_t count)
{
    uint64_t frames = 0, bytes = 0, first = 0, last = 0;
    uint64_t give_up = solo5_clock_monotonic() + 30 * NSEC_PER_SEC;

    guest_puts("ready\n");
    while (frames < count) {
        uint64_t now = solo5_clock_monotonic();
        solo5_handle_set_t ready = 0;
        size_t len;

        if ((frames && now > last + NSEC_PER_SEC) || now > give_up)
            break;
        solo5_yield(now + NSEC_PER_SEC / 10, &ready);
        while (frames < count &&
               solo5_net_read(h, frame, info->mtu + SOLO5_NET_HLEN, &len) == SOLO5_R_OK) {
            if (len < SOLO5_NET_HLEN || (frame[12] << 8 | frame[13]) != BENCH_ETHERTYPE)
                continue;
            last = solo5_clock_monotonic();
            if (frames == 0)
                first = last;
            frames++;
            bytes += len;
        }
    }
    report("rx", frames, bytes, last - first);
    return guest_success();
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char w[BENCH_MAX_WORDS][BENCH_WORD_SIZE];
    struct solo5_net_info info;
    solo5_handle_t h;
    uint64_t a = 0, b = 0;
    int n = bench_words(si->cmdline, w);

    if (solo5_net_acquire("service0", &h, &info) != SOLO5_R_OK)
        return guest_failure("solo5_net_acquire(service0)");
    if (n == 3 && strcmp(w[0], "tx") == 0 && guest_parse_dec(w[1], &a) &&
        guest_parse_dec(w[2], &b))
        return tx(h, &info, a, b);
    if (n == 2 && strcmp(w[0], "rx") == 0 && guest_parse_dec(w[1], &a))
        return rx(h, &info, a);
    return guest_failure("usage: tx SIZE COUNT | rx COUNT");
}
