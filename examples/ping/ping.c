/*
 * ping: a network unikernel that answers ARP and ICMP echo requests (ping)
 * on its NET_BASIC device "service0".
 *
 * Command line: [ADDRESS [COUNT]]: its IPv4 address (default 10.0.0.2); with
 * COUNT, it exits with status 0 after answering that many echo requests,
 * otherwise it answers until stopped.
 *
 * No libc exists here: the few byte helpers are written out below.
 */
#include "solo5.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define IP_PROTO_ICMP 1
#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY 0
#define ONE_SECOND 1000000000ULL

/* Field offsets: Ethernet header, then ARP or IPv4 from L3. */
#define ETH_DST 0
#define ETH_SRC 6
#define ETH_TYPE 12
#define L3 SOLO5_NET_HLEN
#define ARP_OPER (L3 + 6)
#define ARP_SHA (L3 + 8)
#define ARP_SPA (L3 + 14)
#define ARP_THA (L3 + 18)
#define ARP_TPA (L3 + 24)
#define ARP_END (L3 + 28)

static uint8_t my_ip[4] = { 10, 0, 0, 2 };
static struct solo5_net_info info;
static solo5_handle_t service0;
static uint8_t frame[9000 + SOLO5_NET_HLEN];

static void puts_(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    solo5_console_write(s, n);
}

static void put_dec(uint64_t v)
{
    char buf[21];
    size_t i = sizeof(buf);

    buf[--i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(buf + i);
}

static void copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    while (n--)
        *dst++ = *src++;
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
    while (n--)
        if (*a++ != *b++)
            return false;
    return true;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071); 0 over data that holds its checksum. */
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

/* Sends the frame back where it came from, from our MAC address. */
static void reply(size_t len)
{
    copy(frame + ETH_DST, frame + ETH_SRC, SOLO5_NET_ALEN);
    copy(frame + ETH_SRC, info.mac_address, SOLO5_NET_ALEN);
    solo5_net_write(service0, frame, len);
}

/* An ARP request for our address becomes its reply, in place. */
static void answer_arp(size_t len)
{
    if (len < ARP_END || get16(frame + L3) != 1 /* Ethernet */ ||
        get16(frame + L3 + 2) != ETHERTYPE_IPV4 || get16(frame + ARP_OPER) != ARP_REQUEST ||
        !same(frame + ARP_TPA, my_ip, 4))
        return;
    put16(frame + ARP_OPER, ARP_REPLY);
    copy(frame + ARP_THA, frame + ARP_SHA, SOLO5_NET_ALEN + 4); /* THA, TPA */
    copy(frame + ARP_SHA, info.mac_address, SOLO5_NET_ALEN);
    copy(frame + ARP_SPA, my_ip, 4);
    reply(ARP_END);
}

/* An ICMP echo request to us becomes its reply, in place; true if it was. */
static bool answer_echo(size_t len)
{
    uint8_t *ip = frame + L3, *icmp;
    size_t ihl, total;

    if (len < L3 + 20 || ip[0] >> 4 != 4 || ip[9] != IP_PROTO_ICMP || !same(ip + 16, my_ip, 4))
        return false;
    ihl = (size_t)(ip[0] & 0xf) * 4;
    total = get16(ip + 2);
    if (ihl < 20 || total < ihl + 8 || L3 + total > len || checksum(ip, ihl) != 0)
        return false;
    icmp = ip + ihl;
    if (icmp[0] != ICMP_ECHO_REQUEST || checksum(icmp, total - ihl) != 0)
        return false;

    copy(ip + 16, ip + 12, 4); /* the destination is the sender */
    copy(ip + 12, my_ip, 4);
    put16(ip + 10, 0);
    put16(ip + 10, checksum(ip, ihl));
    icmp[0] = ICMP_ECHO_REPLY;
    put16(icmp + 2, 0);
    put16(icmp + 2, checksum(icmp, total - ihl));
    reply(L3 + total);
    return true;
}

/* Parses "A.B.C.D" into ip; false if it is not one. */
static bool parse_ip(const char **s, uint8_t ip[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;

        for (; **s >= '0' && **s <= '9' && digits < 4; (*s)++, digits++)
            v = v * 10 + (unsigned)(**s - '0');
        if (digits == 0 || v > 255 || (i < 3 && *(*s)++ != '.'))
            return false;
        ip[i] = (uint8_t)v;
    }
    return true;
}

/* Parses "[ADDRESS [COUNT]]"; false on anything else. */
static bool parse_args(const char *s, uint64_t *count)
{
    while (*s == ' ')
        s++;
    if (*s && !parse_ip(&s, my_ip))
        return false;
    while (*s == ' ')
        s++;
    for (; *s >= '0' && *s <= '9' && *count < 1000000000; s++)
        *count = *count * 10 + (uint64_t)(*s - '0');
    while (*s == ' ')
        s++;
    return *s == '\0';
}

int solo5_app_main(const struct solo5_start_info *si)
{
    uint64_t count = 0, answered = 0;

    if (!parse_args(si->cmdline, &count)) {
        puts_("usage: ping.<target> [ADDRESS [COUNT]]\n");
        return 2;
    }
    if (solo5_net_acquire("service0", &service0, &info) != SOLO5_R_OK) {
        puts_("ping: cannot acquire the network device service0\n");
        return 1;
    }
    if (info.mtu + SOLO5_NET_HLEN > sizeof(frame)) {
        puts_("ping: service0's MTU is above 9000\n");
        return 1;
    }
    puts_("ping: answering at ");
    for (int i = 0; i < 4; i++) {
        put_dec(my_ip[i]);
        puts_(i < 3 ? "." : " on service0\n");
    }

    while (count == 0 || answered < count) {
        solo5_handle_set_t ready = 0;
        size_t len;

        solo5_yield(solo5_clock_monotonic() + ONE_SECOND, &ready);
        while (solo5_net_read(service0, frame, sizeof(frame), &len) == SOLO5_R_OK) {
            if (len < L3)
                continue;
            if (get16(frame + ETH_TYPE) == ETHERTYPE_ARP)
                answer_arp(len);
            else if (get16(frame + ETH_TYPE) == ETHERTYPE_IPV4 && answer_echo(len))
                answered++;
        }
    }
    puts_("ping: answered ");
    put_dec(answered);
    puts_(" echo requests\n");
    return 0;
}
