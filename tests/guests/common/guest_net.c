/*
 * guest_net.c: Ethernet, ARP, IPv4 and ICMP echo for the test and bench
 * unikernels (see guest_net.h).
 */
#include "guest_net.h"

#define ETH_DST 0
#define ETH_SRC 6
#define ETH_TYPE 12
#define L3 SOLO5_NET_HLEN

/* ARP (Ethernet/IPv4) field offsets from the start of the ARP packet. */
#define ARP_OPER 6
#define ARP_SHA 8
#define ARP_SPA 14
#define ARP_THA 18
#define ARP_TPA 24
#define ARP_LEN 28
#define ARP_REQUEST 1
#define ARP_REPLY 2

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
    for (; len > 1; p += 2, len -= 2)
        sum += guest_net_get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t guest_net_checksum(const uint8_t *p, size_t len)
{
    return fold(sum16(0, p, len));
}

uint16_t guest_net_l4_checksum(const uint8_t *ip, const uint8_t *l4, size_t len)
{
    uint32_t sum = sum16(0, ip + 12, 8); /* source and destination */

    sum += ip[9] + (uint32_t)len;
    return fold(sum16(sum, l4, len));
}

void guest_net_eth_reply(uint8_t *out, const uint8_t *in_frame, const struct guest_iface *in)
{
    memcpy(out + ETH_DST, in_frame + ETH_SRC, SOLO5_NET_ALEN);
    memcpy(out + ETH_SRC, in->info.mac_address, SOLO5_NET_ALEN);
    guest_net_put16(out + ETH_TYPE, GUEST_NET_ETHERTYPE_IPV4);
}

void guest_net_ipv4_header(uint8_t *ip, const uint8_t *dst, const uint8_t *src, uint8_t proto,
                           size_t total_len)
{
    static uint16_t id;

    ip[0] = 0x45;
    ip[1] = 0;
    guest_net_put16(ip + 2, (uint16_t)total_len);
    guest_net_put16(ip + 4, id++);
    guest_net_put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = proto;
    guest_net_put16(ip + 10, 0);
    memcpy(ip + 16, dst, 4);
    memcpy(ip + 12, src, 4);
    guest_net_put16(ip + 10, guest_net_checksum(ip, 20));
}

static void send_arp(struct guest_iface *in, uint16_t oper, const uint8_t *dst_mac,
                     const uint8_t *tha, const uint8_t *tpa)
{
    uint8_t out[SOLO5_NET_HLEN + ARP_LEN];
    uint8_t *arp = out + L3;

    memcpy(out + ETH_DST, dst_mac, SOLO5_NET_ALEN);
    memcpy(out + ETH_SRC, in->info.mac_address, SOLO5_NET_ALEN);
    guest_net_put16(out + ETH_TYPE, GUEST_NET_ETHERTYPE_ARP);
    guest_net_put16(arp + 0, 1); /* Ethernet */
    guest_net_put16(arp + 2, GUEST_NET_ETHERTYPE_IPV4);
    arp[4] = SOLO5_NET_ALEN;
    arp[5] = 4;
    guest_net_put16(arp + ARP_OPER, oper);
    memcpy(arp + ARP_SHA, in->info.mac_address, SOLO5_NET_ALEN);
    memcpy(arp + ARP_SPA, in->ip, 4);
    memcpy(arp + ARP_THA, tha, SOLO5_NET_ALEN);
    memcpy(arp + ARP_TPA, tpa, 4);
    solo5_net_write(in->handle, out, sizeof(out));
}

bool guest_net_acquire(struct guest_iface *in, size_t frame_max)
{
    static const uint8_t broadcast[SOLO5_NET_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero[SOLO5_NET_ALEN];

    if (solo5_net_acquire(in->name, &in->handle, &in->info) != SOLO5_R_OK ||
        in->info.mtu + SOLO5_NET_HLEN > frame_max)
        return false;
    send_arp(in, ARP_REQUEST, broadcast, zero, in->ip);
    return true;
}

bool guest_net_arp(struct guest_iface *in, const uint8_t *frame, size_t len)
{
    const uint8_t *arp = frame + L3;

    if (len < L3 + ARP_LEN || guest_net_get16(frame + ETH_TYPE) != GUEST_NET_ETHERTYPE_ARP ||
        guest_net_get16(arp) != 1 || guest_net_get16(arp + 2) != GUEST_NET_ETHERTYPE_IPV4 ||
        guest_net_get16(arp + ARP_OPER) != ARP_REQUEST || memcmp(arp + ARP_TPA, in->ip, 4) != 0)
        return false;
    send_arp(in, ARP_REPLY, arp + ARP_SHA, arp + ARP_SHA, arp + ARP_SPA);
    return true;
}

uint8_t *guest_net_ipv4(const struct guest_iface *in, uint8_t *frame, size_t len, uint8_t **l4,
                        size_t *l4_len)
{
    uint8_t *ip = frame + L3;
    size_t ihl, total;

    if (len < L3 + 20 || guest_net_get16(frame + ETH_TYPE) != GUEST_NET_ETHERTYPE_IPV4 ||
        ip[0] >> 4 != 4)
        return NULL;
    ihl = (size_t)(ip[0] & 0xf) * 4;
    total = guest_net_get16(ip + 2);
    if (ihl < 20 || total < ihl || total > len - L3 || memcmp(ip + 16, in->ip, 4) != 0 ||
        guest_net_checksum(ip, ihl) != 0)
        return NULL;
    *l4 = ip + ihl;
    *l4_len = total - ihl;
    return ip;
}

bool guest_net_icmp_echo(struct guest_iface *in, uint8_t *frame, size_t len)
{
    uint8_t *ip, *icmp, addr[4];
    size_t icmp_len;

    ip = guest_net_ipv4(in, frame, len, &icmp, &icmp_len);
    if (ip == NULL || ip[9] != GUEST_NET_PROTO_ICMP || icmp_len < 8 ||
        icmp[0] != ICMP_ECHO_REQUEST || guest_net_checksum(icmp, icmp_len) != 0)
        return false;
    memcpy(addr, ip + 12, 4);
    memcpy(ip + 12, ip + 16, 4);
    memcpy(ip + 16, addr, 4);
    guest_net_put16(ip + 10, 0);
    guest_net_put16(ip + 10, guest_net_checksum(ip, (size_t)(icmp - ip)));
    icmp[0] = ICMP_ECHO_REPLY;
    guest_net_put16(icmp + 2, 0);
    guest_net_put16(icmp + 2, guest_net_checksum(icmp, icmp_len));
    guest_net_eth_reply(frame, frame, in);
    return solo5_net_write(in->handle, frame, L3 + (size_t)(icmp - ip) + icmp_len) == SOLO5_R_OK;
}
