/*
 * test_net: an ARP and ICMP echo responder on "service0" at 10.0.0.2 (and,
 * built with TWO_INTERFACES as test_net_2if, on "service1" at 10.1.0.2).
 *
 * It announces itself with a gratuitous ARP, then answers until stopped.
 *
 * Built with CHECK_PATTERN (as test_net_ring, ref §6.2) it also checks that
 * the payload of every echo request after the 16-byte timestamp is the
 * repeating pattern de ad be ef (`ping -p deadbeef`): the first mismatch
 * prints "CORRUPT payload" and fails; at the end it prints how many
 * requests it verified.
 * Arguments (any order):
 *   verbose    log every packet answered
 *   poll       never wait in solo5_yield(): call solo5_net_read() until a
 *              frame comes (a guest that polls its device)
 *   limit      exit with SUCCESS after 100000 echo replies (all interfaces)
 *   limit=N    the same after N replies
 *   announce=MS  also send a gratuitous ARP every MS milliseconds, and at
 *              the end print "announcements: ok <n> failed <n>" (writes
 *              that returned OK, and SOLO5_R_EUNSPEC: tests/faults/, the
 *              tap brought down under the guest)
 */
#include "guest.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define IP_PROTO_ICMP 1
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define DEFAULT_LIMIT 100000
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* Offsets in an Ethernet frame. */
#define ETH_DST 0
#define ETH_SRC 6
#define ETH_TYPE 12
#define L3 SOLO5_NET_HLEN

/* ARP (Ethernet/IPv4) offsets from L3. */
#define ARP_OPER 6
#define ARP_SHA 8
#define ARP_SPA 14
#define ARP_THA 18
#define ARP_TPA 24
#define ARP_LEN 28

struct iface {
    const char *name;
    uint8_t ip[4];
    solo5_handle_t handle;
    struct solo5_net_info info;
};

static struct iface ifaces[] = {
    { .name = "service0", .ip = { 10, 0, 0, 2 } },
#ifdef TWO_INTERFACES
    { .name = "service1", .ip = { 10, 1, 0, 2 } },
#endif
};
#define N_IFACES (sizeof(ifaces) / sizeof(ifaces[0]))

static uint8_t frame[9216 + SOLO5_NET_HLEN];
static bool verbose, poll_reads;
static uint64_t announce_ms, announced_ok, announced_failed;

#ifdef CHECK_PATTERN
#define PING_TIMESTAMP 16
static const uint8_t pattern[4] = { 0xde, 0xad, 0xbe, 0xef };
static uint64_t verified;
static bool corrupt;

/* The ICMP echo data after its timestamp must be the pattern, in phase. */
static void check_payload(const uint8_t *data, size_t len)
{
    if (len <= PING_TIMESTAMP) {
        corrupt = true;
        return;
    }
    for (size_t i = PING_TIMESTAMP; i < len; i++) {
        if (data[i] != pattern[i % 4]) {
            corrupt = true;
            return;
        }
    }
    verified++;
}
#endif

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071) of `len` bytes. */
static uint16_t checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (; len > 1; p += 2, len -= 2)
        sum += get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static bool send_arp(struct iface *in, uint16_t oper, const uint8_t *dst_mac,
                     const uint8_t *tha, const uint8_t *tpa)
{
    uint8_t out[SOLO5_NET_HLEN + ARP_LEN];
    uint8_t *arp = out + L3;

    memcpy(out + ETH_DST, dst_mac, SOLO5_NET_ALEN);
    memcpy(out + ETH_SRC, in->info.mac_address, SOLO5_NET_ALEN);
    put16(out + ETH_TYPE, ETHERTYPE_ARP);
    put16(arp + 0, 1); /* Ethernet */
    put16(arp + 2, ETHERTYPE_IPV4);
    arp[4] = SOLO5_NET_ALEN;
    arp[5] = 4;
    put16(arp + ARP_OPER, oper);
    memcpy(arp + ARP_SHA, in->info.mac_address, SOLO5_NET_ALEN);
    memcpy(arp + ARP_SPA, in->ip, 4);
    memcpy(arp + ARP_THA, tha, SOLO5_NET_ALEN);
    memcpy(arp + ARP_TPA, tpa, 4);
    return solo5_net_write(in->handle, out, sizeof(out)) == SOLO5_R_OK;
}

static void gratuitous_arp(struct iface *in)
{
    static const uint8_t broadcast[SOLO5_NET_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero[SOLO5_NET_ALEN];

    if (send_arp(in, ARP_REQUEST, broadcast, zero, in->ip))
        announced_ok++;
    else
        announced_failed++;
}

static void handle_arp(struct iface *in, uint8_t *arp, size_t len)
{
    if (len < ARP_LEN || get16(arp) != 1 || get16(arp + 2) != ETHERTYPE_IPV4 ||
        get16(arp + ARP_OPER) != ARP_REQUEST || memcmp(arp + ARP_TPA, in->ip, 4) != 0)
        return;
    send_arp(in, ARP_REPLY, arp + ARP_SHA, arp + ARP_SHA, arp + ARP_SPA);
    if (verbose)
        guest_puts("ARP reply sent\n");
}

/* Turns an echo request to us into its reply in place; true if it was one. */
static bool handle_ipv4(struct iface *in, uint8_t *ip, size_t len)
{
    size_t ihl, total;
    uint8_t *icmp, addr[4];

    if (len < 20 || ip[0] >> 4 != 4)
        return false;
    ihl = (size_t)(ip[0] & 0xf) * 4;
    total = get16(ip + 2);
    if (ihl < 20 || total < ihl + 8 || total > len || ip[9] != IP_PROTO_ICMP ||
        memcmp(ip + 16, in->ip, 4) != 0 || checksum(ip, ihl) != 0)
        return false;
    icmp = ip + ihl;
    if (icmp[0] != ICMP_ECHO_REQUEST || checksum(icmp, total - ihl) != 0)
        return false;
#ifdef CHECK_PATTERN
    check_payload(icmp + 8, total - ihl - 8);
#endif

    memcpy(addr, ip + 12, 4);
    memcpy(ip + 12, ip + 16, 4);
    memcpy(ip + 16, addr, 4);
    put16(ip + 10, 0);
    put16(ip + 10, checksum(ip, ihl));
    icmp[0] = ICMP_ECHO_REPLY;
    put16(icmp + 2, 0);
    put16(icmp + 2, checksum(icmp, total - ihl));
    return true;
}

/* Answers one frame; true if it was an echo request that got its reply. */
static bool handle_frame(struct iface *in, uint8_t *buf, size_t len)
{
    if (len < SOLO5_NET_HLEN)
        return false;
    switch (get16(buf + ETH_TYPE)) {
    case ETHERTYPE_ARP:
        handle_arp(in, buf + L3, len - L3);
        return false;
    case ETHERTYPE_IPV4:
        if (!handle_ipv4(in, buf + L3, len - L3))
            return false;
        memcpy(buf + ETH_DST, buf + ETH_SRC, SOLO5_NET_ALEN);
        memcpy(buf + ETH_SRC, in->info.mac_address, SOLO5_NET_ALEN);
        return solo5_net_write(in->handle, buf, len) == SOLO5_R_OK;
    default:
        return false;
    }
}

/* Parses the words of the command line; false on an unknown one. */
static bool parse_args(const char *s, uint64_t *limit)
{
    while (*s) {
        const char *word = s;
        size_t n = 0;

        while (word[n] && word[n] != ' ')
            n++;
        s = word + n;
        while (*s == ' ')
            s++;
        if (n == 0)
            continue;
        if (n == 7 && memcmp(word, "verbose", 7) == 0)
            verbose = true;
        else if (n == 4 && memcmp(word, "poll", 4) == 0)
            poll_reads = true;
        else if (n == 5 && memcmp(word, "limit", 5) == 0)
            *limit = DEFAULT_LIMIT;
        else if (n > 9 && memcmp(word, "announce=", 9) == 0) {
            if (!guest_parse_dec(word + 9, &announce_ms) || announce_ms == 0)
                return false;
        }
        else if (n <= 6 || memcmp(word, "limit=", 6) != 0 || !guest_parse_dec(word + 6, limit))
            return false;
    }
    return true;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t limit = 0, replies = 0;

#if defined(TWO_INTERFACES)
    guest_banner("test_net_2if");
#elif defined(CHECK_PATTERN)
    guest_banner("test_net_ring");
#else
    guest_banner("test_net");
#endif
    if (!parse_args(si->cmdline, &limit))
        return guest_failure("usage: [verbose] [poll] [limit | limit=N] [announce=MS]");

    for (size_t i = 0; i < N_IFACES; i++) {
        struct iface *in = &ifaces[i];

        if (solo5_net_acquire(in->name, &in->handle, &in->info) != SOLO5_R_OK)
            return guest_failure("solo5_net_acquire failed");
        if (in->info.mtu + SOLO5_NET_HLEN > sizeof(frame))
            return guest_failure("MTU too large for the frame buffer");
        guest_puts(in->name);
        guest_puts(": serving ICMP echo at ");
        for (int b = 0; b < 4; b++) {
            guest_put_dec(in->ip[b]);
            guest_puts(b < 3 ? "." : "\n");
        }
        gratuitous_arp(in);
    }

    for (solo5_time_t next = solo5_clock_monotonic();;) {
        solo5_handle_set_t ready = 0;
        solo5_time_t now = solo5_clock_monotonic();

        if (announce_ms && now >= next) {
            for (size_t i = 0; i < N_IFACES; i++)
                gratuitous_arp(&ifaces[i]);
            next = now + announce_ms * NSEC_PER_MSEC;
        }
        if (poll_reads)
            ready = ~0ULL; /* every interface: read until a frame comes */
        else
            solo5_yield(announce_ms ? next : now + NSEC_PER_SEC, &ready);
        for (size_t i = 0; i < N_IFACES; i++) {
            struct iface *in = &ifaces[i];
            size_t len;

            if (!(ready & (1ULL << in->handle)))
                continue;
            while (solo5_net_read(in->handle, frame, in->info.mtu + SOLO5_NET_HLEN, &len) ==
                   SOLO5_R_OK) {
                bool replied = handle_frame(in, frame, len);

#ifdef CHECK_PATTERN
                if (corrupt)
                    return guest_failure("CORRUPT payload");
#endif
                if (!replied)
                    continue;
                replies++;
                if (verbose) {
                    guest_puts(in->name);
                    guest_puts(": echo reply ");
                    guest_put_dec(replies);
                    guest_puts("\n");
                }
                if (limit && replies >= limit) {
                    guest_puts("echo replies sent: ");
                    guest_put_dec(replies);
                    guest_puts("\n");
                    if (announce_ms) {
                        guest_puts("announcements: ok ");
                        guest_put_dec(announced_ok);
                        guest_puts(" failed ");
                        guest_put_dec(announced_failed);
                        guest_puts("\n");
                    }
#ifdef CHECK_PATTERN
                    guest_puts("payloads verified: ");
                    guest_put_dec(verified);
                    guest_puts("\n");
#endif
                    return guest_success();
                }
            }
        }
    }
}
