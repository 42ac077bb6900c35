/*
 * guest_net.h: the Ethernet, ARP, IPv4 and ICMP pieces a test or bench
 * unikernel needs to be reachable from the host (common/guest_net.c).
 * Frames are handled in place; all multi-byte fields are big-endian on the
 * wire and host order in the API.
 */
#ifndef GUEST_NET_H_INCLUDED
#define GUEST_NET_H_INCLUDED

#include "guest.h"

#define GUEST_NET_ETHERTYPE_IPV4 0x0800
#define GUEST_NET_ETHERTYPE_ARP 0x0806
#define GUEST_NET_PROTO_ICMP 1
#define GUEST_NET_PROTO_TCP 6

/* One interface: its manifest name and address (set by the guest), and
 * what solo5_net_acquire() told (set by guest_net_acquire()). */
struct guest_iface {
    const char *name;
    uint8_t ip[4];
    solo5_handle_t handle;
    struct solo5_net_info info;
};

static inline uint16_t guest_net_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t guest_net_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void guest_net_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void guest_net_put32(uint8_t *p, uint32_t v)
{
    guest_net_put16(p, (uint16_t)(v >> 16));
    guest_net_put16(p + 2, (uint16_t)v);
}

/* Acquires the interface and announces it with a gratuitous ARP; false if
 * the device is missing or its MTU does not fit `frame_max`. */
bool guest_net_acquire(struct guest_iface *in, size_t frame_max);

/* The Internet checksum (RFC 1071) of `len` bytes. */
uint16_t guest_net_checksum(const uint8_t *p, size_t len);

/* The TCP/UDP checksum of the `len`-byte segment at `l4` carried in the
 * IPv4 packet `ip` (pseudo-header from its addresses and protocol). */
uint16_t guest_net_l4_checksum(const uint8_t *ip, const uint8_t *l4, size_t len);

/* Writes the Ethernet header of a reply to `in_frame` into `out`. */
void guest_net_eth_reply(uint8_t *out, const uint8_t *in_frame, const struct guest_iface *in);

/* Writes a 20-byte IPv4 header (DF, TTL 64, checksum) into `ip`. */
void guest_net_ipv4_header(uint8_t *ip, const uint8_t *dst, const uint8_t *src, uint8_t proto,
                           size_t total_len);

/* If `frame` is an ARP request for our address, answers it: true. */
bool guest_net_arp(struct guest_iface *in, const uint8_t *frame, size_t len);

/* The IPv4 packet in `frame` if it is addressed to us with a valid header:
 * its start (*l4 and *l4_len: the payload), else NULL. */
uint8_t *guest_net_ipv4(const struct guest_iface *in, uint8_t *frame, size_t len, uint8_t **l4,
                        size_t *l4_len);

/* If `frame` is an ICMP echo request to us, turns it into the reply in
 * place and sends it: true. */
bool guest_net_icmp_echo(struct guest_iface *in, uint8_t *frame, size_t len);

#endif /* GUEST_NET_H_INCLUDED */
