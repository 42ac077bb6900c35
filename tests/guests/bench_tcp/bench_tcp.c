/*
 * bench_tcp: a tiny HTTP server on "service0" at 10.0.0.2:80 for
 * bench/workloads.py: the request/response shape of a MirageOS unikernel
 * (mirage-tcpip answering a short HTTP response), driven by `ab`.
 *
 * It answers ARP requests and ICMP echo (flood ping), and TCP on port 80:
 * SYN gets SYN-ACK, a request (up to its blank line) gets one segment
 * carrying the whole response and FIN, the client's FIN is acknowledged.
 * Up to CONN_MAX connections at a time; nothing is retransmitted on a
 * timer (the link is a local tap): a retransmitted SYN or request is
 * answered again.  A segment for no connection gets RST.
 *
 *   bench_tcp          prints "serving", then serves until killed
 *   bench_tcp --help   what a MirageOS unikernel's --help does: runtime
 *                      start-up (a 2 MiB minor heap filled once), a manual
 *                      page built in a buffer and written at exit, status 0
 *
 * It is as big as a MirageOS unikernel (~4 MiB: `image`, read-only data
 * standing in for its code), so that its heap starts where theirs does,
 * above the first few MiB, and --help reads through it as their start-up
 * runs through their code.
 */
#include "guest.h"
#include "guest_net.h"

#define TCP_PORT 80
#define CONN_MAX 64
#define TCP_HLEN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define MSS 1460
#define IMAGE_SIZE (4 * 1024 * 1024)
#define IMAGE_STRIDE (16 * 1024) /* one byte read per 16 KiB */

static const char response[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/plain\r\n"
                               "Content-Length: 13\r\n"
                               "Connection: close\r\n"
                               "\r\n"
                               "Hello, World\n";
#define RESPONSE_LEN (sizeof(response) - 1)

enum conn_state { FREE, SYN_RCVD, ESTABLISHED, RESPONDED };

struct conn {
    enum conn_state state;
    uint8_t ip[4];
    uint16_t port;
    uint32_t iss;     /* our initial sequence number */
    uint32_t snd_nxt; /* our next sequence number */
    uint32_t rcv_nxt; /* next byte expected from the client */
    uint32_t tail;    /* the last four request bytes, for "\r\n\r\n" */
    bool peer_fin, fin_acked;
};

/* What one received segment says, in host order. */
struct segment {
    const uint8_t *ip_src;
    uint16_t sport;
    uint32_t seq, ack;
    uint8_t flags;
    const uint8_t *data;
    size_t len;
};

static struct guest_iface iface = { .name = "service0", .ip = { 10, 0, 0, 2 } };
static struct conn conns[CONN_MAX];
static uint8_t frame[9216 + SOLO5_NET_HLEN];
static uint8_t out[SOLO5_NET_HLEN + 20 + TCP_HLEN + 4 + sizeof(response)];
static uint32_t iss_next = 0x10000;
/* Non-zero, so that it is in the ELF file (.rodata), not .bss. */
static const uint8_t image[IMAGE_SIZE] = { 1 };

static struct conn *conn_find(const struct segment *s)
{
    for (size_t i = 0; i < CONN_MAX; i++) {
        struct conn *c = &conns[i];

        if (c->state != FREE && c->port == s->sport && memcmp(c->ip, s->ip_src, 4) == 0)
            return c;
    }
    return NULL;
}

static struct conn *conn_new(const struct segment *s)
{
    for (size_t i = 0; i < CONN_MAX; i++) {
        struct conn *c = &conns[i];

        if (c->state != FREE)
            continue;
        memcpy(c->ip, s->ip_src, 4);
        c->port = s->sport;
        c->iss = iss_next;
        iss_next += 0x10000;
        c->snd_nxt = c->iss + 1;
        c->rcv_nxt = s->seq + 1;
        c->tail = 0;
        c->peer_fin = c->fin_acked = false;
        c->state = SYN_RCVD;
        return c;
    }
    return NULL; /* full: the client retransmits its SYN */
}

/* Sends one segment to the client of `s` (peer MAC from `in_frame`). */
static void tcp_send(const uint8_t *in_frame, const struct segment *s, uint32_t seq, uint32_t ack,
                     uint8_t flags, const void *data, size_t len)
{
    uint8_t *ip = out + SOLO5_NET_HLEN, *tcp = ip + 20;
    size_t opt = flags & TCP_SYN ? 4 : 0, tcp_len = TCP_HLEN + opt + len;

    guest_net_eth_reply(out, in_frame, &iface);
    guest_net_ipv4_header(ip, s->ip_src, iface.ip, GUEST_NET_PROTO_TCP, 20 + tcp_len);
    guest_net_put16(tcp + 0, TCP_PORT);
    guest_net_put16(tcp + 2, s->sport);
    guest_net_put32(tcp + 4, seq);
    guest_net_put32(tcp + 8, ack);
    tcp[12] = (uint8_t)((TCP_HLEN + opt) / 4) << 4;
    tcp[13] = flags;
    guest_net_put16(tcp + 14, 65535); /* window */
    guest_net_put32(tcp + 16, 0);     /* checksum, urgent pointer */
    if (opt) {
        tcp[20] = 2; /* MSS */
        tcp[21] = 4;
        guest_net_put16(tcp + 22, MSS);
    }
    memcpy(tcp + TCP_HLEN + opt, data, len);
    guest_net_put16(tcp + 16, guest_net_l4_checksum(ip, tcp, tcp_len));
    solo5_net_write(iface.handle, out, SOLO5_NET_HLEN + 20 + tcp_len);
}

/* A segment for no connection: RST (RFC 9293 3.10.7.1). */
static void tcp_reset(const uint8_t *in_frame, const struct segment *s)
{
    uint32_t len = (uint32_t)s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);

    if (s->flags & TCP_RST)
        return;
    if (s->flags & TCP_ACK)
        tcp_send(in_frame, s, s->ack, 0, TCP_RST, NULL, 0);
    else
        tcp_send(in_frame, s, 0, s->seq + len, TCP_RST | TCP_ACK, NULL, 0);
}

/* True once the request's blank line ("\r\n\r\n") has arrived. */
static bool request_done(struct conn *c, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        c->tail = c->tail << 8 | data[i];
        if (c->tail == 0x0d0a0d0a)
            return true;
    }
    return false;
}

/* Our side's one segment: the response (or nothing) and FIN. */
static void respond(const uint8_t *in_frame, const struct segment *s, struct conn *c,
                    bool with_response)
{
    size_t len = with_response ? RESPONSE_LEN : 0;

    tcp_send(in_frame, s, c->iss + 1, c->rcv_nxt, TCP_ACK | TCP_PSH | TCP_FIN, response, len);
    c->snd_nxt = c->iss + 1 + (uint32_t)len + 1;
    c->state = RESPONDED;
}

/* Data and FIN on an established (or answered) connection; true if the
 * segment needs a pure ACK. */
static bool tcp_data(const uint8_t *in_frame, const struct segment *s, struct conn *c)
{
    if (s->len == 0)
        return false;
    if (s->seq == c->rcv_nxt) {
        c->rcv_nxt += (uint32_t)s->len;
        if (c->state == ESTABLISHED && request_done(c, s->data, s->len)) {
            respond(in_frame, s, c, true);
            return false;
        }
        return true;
    }
    if (c->state == RESPONDED && s->seq + s->len == c->rcv_nxt) {
        respond(in_frame, s, c, true); /* the request again: our answer was lost */
        return false;
    }
    return true; /* out of order: tell the client what we expect */
}

static void tcp_established(const uint8_t *in_frame, const struct segment *s, struct conn *c)
{
    bool ack_now;

    if ((s->flags & TCP_ACK) && c->state == RESPONDED && s->ack == c->snd_nxt)
        c->fin_acked = true;
    ack_now = tcp_data(in_frame, s, c);
    if (s->flags & TCP_FIN) {
        if (!c->peer_fin && s->seq + s->len == c->rcv_nxt) {
            c->rcv_nxt++;
            c->peer_fin = true;
        }
        if (c->state != RESPONDED) {
            respond(in_frame, s, c, false); /* the client gave up: close too */
            ack_now = false;
        } else {
            ack_now = true;
        }
    }
    if (ack_now)
        tcp_send(in_frame, s, c->snd_nxt, c->rcv_nxt, TCP_ACK, NULL, 0);
    if (c->peer_fin && c->fin_acked)
        c->state = FREE;
}

static void tcp_segment(const uint8_t *in_frame, const struct segment *s)
{
    struct conn *c = conn_find(s);

    if (s->flags & TCP_RST) {
        if (c != NULL)
            c->state = FREE;
        return;
    }
    if (s->flags & TCP_SYN) {
        if (c != NULL && (c->state != SYN_RCVD || c->rcv_nxt != s->seq + 1)) {
            c->state = FREE; /* a new connection on the same port */
            c = NULL;
        }
        if (c == NULL)
            c = conn_new(s);
        if (c != NULL)
            tcp_send(in_frame, s, c->iss, c->rcv_nxt, TCP_SYN | TCP_ACK, NULL, 0);
        return;
    }
    if (c == NULL) {
        tcp_reset(in_frame, s);
        return;
    }
    if (c->state == SYN_RCVD) {
        if (!(s->flags & TCP_ACK) || s->ack != c->iss + 1)
            return;
        c->state = ESTABLISHED;
    }
    tcp_established(in_frame, s, c);
}

/* A TCP segment to our port with a valid checksum: handled. */
static bool handle_tcp(uint8_t *in_frame, size_t len)
{
    struct segment s;
    uint8_t *ip, *tcp;
    size_t tcp_len, off;

    ip = guest_net_ipv4(&iface, in_frame, len, &tcp, &tcp_len);
    if (ip == NULL || ip[9] != GUEST_NET_PROTO_TCP || tcp_len < TCP_HLEN)
        return false;
    off = (size_t)(tcp[12] >> 4) * 4;
    if (off < TCP_HLEN || off > tcp_len || guest_net_get16(tcp + 2) != TCP_PORT ||
        guest_net_l4_checksum(ip, tcp, tcp_len) != 0)
        return false;
    s = (struct segment){
        .ip_src = ip + 12,
        .sport = guest_net_get16(tcp),
        .seq = guest_net_get32(tcp + 4),
        .ack = guest_net_get32(tcp + 8),
        .flags = tcp[13],
        .data = tcp + off,
        .len = tcp_len - off,
    };
    tcp_segment(in_frame, &s);
    return true;
}

static int serve(void)
{
    if (!guest_net_acquire(&iface, sizeof(frame)))
        return guest_failure("solo5_net_acquire(service0)");
    guest_puts("bench_tcp: serving HTTP at 10.0.0.2:80\n");
    for (;;) {
        solo5_handle_set_t ready = 0;
        size_t len;

        solo5_yield(solo5_clock_monotonic() + 1000000000ULL, &ready);
        while (solo5_net_read(iface.handle, frame, sizeof(frame), &len) == SOLO5_R_OK) {
            if (!guest_net_arp(&iface, frame, len) && !guest_net_icmp_echo(&iface, frame, len))
                handle_tcp(frame, len);
        }
    }
}

/*
 * --help, as a MirageOS unikernel does it: the OCaml runtime's start-up
 * (its 2 MiB minor heap filled once by the allocations of start-up and
 * argument parsing), then the manual, built in a buffer and written once
 * at exit (a flushed stdout).
 */
static int help(const struct solo5_start_info *si)
{
    static char manual[8192];
    const size_t minor = 2 * 1024 * 1024;
    uint64_t *heap = (uint64_t *)si->heap_start;
    size_t n = 0;

    uint64_t sum = 0;

    if (si->heap_size < minor)
        return guest_failure("heap too small for the minor heap");
    for (size_t i = 0; i < IMAGE_SIZE; i += IMAGE_STRIDE)
        sum += *(const volatile uint8_t *)&image[i];
    if (sum != 1)
        return guest_failure("image");
    for (size_t i = 0; i < minor / 8; i += 4) {
        heap[i] = 3 << 10 | 0xf7; /* a header and three fields */
        heap[i + 1] = heap[i + 2] = heap[i + 3] = (uint64_t)&heap[i];
    }
    for (int line = 0; line < 80 && n + 100 < sizeof(manual); line++) {
        static const char text[] = "       --option-name=VALUE (absent=default)  What this "
                                   "option of the unikernel does.\n";

        memcpy(manual + n, text, sizeof(text) - 1);
        n += sizeof(text) - 1;
    }
    solo5_console_write(manual, n);
    return SOLO5_EXIT_SUCCESS;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    if (strcmp(si->cmdline, "--help") == 0)
        return help(si);
    if (si->cmdline[0] != '\0')
        return guest_failure("usage: bench_tcp [--help]");
    return serve();
}
