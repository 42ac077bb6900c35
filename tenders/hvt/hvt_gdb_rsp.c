/*
 * hvt_gdb_rsp.c: the GDB remote serial protocol's framing for hvt_gdb.c:
 * bytes from and to the debugger's connection, "$data#checksum" packets
 * with their '+'/'-' acks (ack mode only), and the hex encodings the
 * packets use.  Knows nothing of the guest.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hvt_debug.h"

int hvt_gdb_getc(struct hvt_debug *d)
{
    if (d->in_pos == d->in_len) {
        ssize_t n;

        do {
            n = read(d->conn_fd, d->in, sizeof(d->in));
        } while (n < 0 && errno == EINTR);
        if (n <= 0)
            return -1;
        d->in_len = (size_t)n;
        d->in_pos = 0;
    }
    return (unsigned char)d->in[d->in_pos++];
}

int hvt_gdb_write(struct hvt_debug *d, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(d->conn_fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * While the guest runs, gdb (all-stop mode) sends nothing but the
 * interrupt byte, outside any packet.  Everything before it is dropped: a
 * stray ack, or anything else, cannot be answered while the guest runs.
 * Bytes after it stay for the stop that follows.  Never blocks
 * (MSG_DONTWAIT: the connection stays blocking for the packet code).
 */
int hvt_gdb_poll_break(struct hvt_debug *d)
{
    for (;;) {
        ssize_t n;

        while (d->in_pos < d->in_len) {
            if (d->in[d->in_pos++] == HVT_GDB_BREAK)
                return 1;
        }
        n = recvfrom(d->conn_fd, d->in, sizeof(d->in), MSG_DONTWAIT, NULL,
                NULL);
        if (n > 0) {
            d->in_len = (size_t)n;
            d->in_pos = 0;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
}

static const char hexdigits[] = "0123456789abcdef";

static int gdb_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Sends one packet and waits for its ack; -1 if the debugger is gone. */
int hvt_gdb_send(struct hvt_debug *d, const char *data)
{
    char buf[HVT_GDB_PACKET_MAX + 8];
    size_t len = strlen(data);
    uint8_t sum = 0;

    if (len > HVT_GDB_PACKET_MAX)
        len = HVT_GDB_PACKET_MAX;
    buf[0] = '$';
    for (size_t i = 0; i < len; i++) {
        buf[1 + i] = data[i];
        sum = (uint8_t)(sum + (uint8_t)data[i]);
    }
    buf[1 + len] = '#';
    buf[2 + len] = hexdigits[sum >> 4];
    buf[3 + len] = hexdigits[sum & 0xf];
    for (;;) {
        int c;

        if (hvt_gdb_write(d, buf, len + 4) != 0)
            return -1;
        do {
            c = hvt_gdb_getc(d);
        } while (c >= 0 && c != '+' && c != '-');
        if (c < 0)
            return -1;
        if (c == '+')
            return 0;
    }
}

/* Receives one packet (NUL-terminated); -1 if the debugger is gone. */
int hvt_gdb_recv(struct hvt_debug *d, char *pkt, size_t size)
{
    for (;;) {
        size_t len = 0;
        uint8_t sum = 0;
        bool too_long = false;
        int c, hi, lo;

        do {
            c = hvt_gdb_getc(d);
        } while (c >= 0 && c != '$');
        if (c < 0)
            return -1;
        while ((c = hvt_gdb_getc(d)) >= 0 && c != '#') {
            if (len + 1 < size)
                pkt[len++] = (char)c;
            else
                too_long = true;
            sum = (uint8_t)(sum + c);
        }
        hi = hvt_gdb_getc(d);
        lo = hvt_gdb_getc(d);
        if (c < 0 || hi < 0 || lo < 0)
            return -1;
        pkt[len] = '\0';
        if (gdb_hexval(hi) >= 0 && gdb_hexval(lo) >= 0 &&
                (gdb_hexval(hi) << 4 | gdb_hexval(lo)) == sum) {
            if (hvt_gdb_write(d, "+", 1) != 0)
                return -1;
            /* Larger than any packet we accept (gdb knows the size from
             * qSupported): answered as unknown, its prefix never run. */
            if (too_long) {
                pkt[0] = '\0';
                return 0;
            }
            return (int)len;
        }
        if (hvt_gdb_write(d, "-", 1) != 0)
            return -1;
    }
}

/* --- Small parsers and formatters. --- */

/* Parses hex digits at *p up to a non-hex character. */
bool hvt_gdb_parse_hex(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    int n = 0, c;

    while ((c = gdb_hexval(*s)) >= 0) {
        if (n++ == 16)
            return false;
        x = x << 4 | (uint64_t)c;
        s++;
    }
    if (n == 0)
        return false;
    *p = s;
    *v = x;
    return true;
}

void hvt_gdb_to_hex(char *out, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[in[i] >> 4];
        out[2 * i + 1] = hexdigits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

bool hvt_gdb_from_hex(uint8_t *out, const char *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = gdb_hexval(in[2 * i]), lo;

        if (hi < 0)
            return false;
        lo = gdb_hexval(in[2 * i + 1]);
        if (lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

