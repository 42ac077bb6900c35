/*
 * net_blast: sends COUNT broadcast frames of SIZE bytes (EtherType 0x88b5)
 * out of interface IFACE, for the host-to-guest packet rates of
 * bench/devices.py.  Run it inside the benchmark's namespace.
 *
 *   net_blast IFACE SIZE COUNT [RATE]
 *
 * Without RATE as fast as it can; with RATE (frames per second) in bursts
 * of BURST frames back to back, each burst starting when the rate says
 * (sleeping in between), as traffic from a faster link arrives.  Prints
 * "net_blast: frames=<sent> ns=<elapsed>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 32

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sleeps until `ns` on CLOCK_MONOTONIC (at once if that has passed). */
static void sleep_until(uint64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
        .tv_nsec = (long)(ns % 1000000000ULL) };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

int main(int argc, char **argv)
{
    struct sockaddr_ll addr = { .sll_family = AF_PACKET };
    unsigned char frame[9216];
    unsigned long size, count, rate = 0, sent = 0;
    uint64_t t0, t1;
    int s;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: net_blast IFACE SIZE COUNT [RATE]\n");
        return 2;
    }
    size = strtoul(argv[2], NULL, 10);
    count = strtoul(argv[3], NULL, 10);
    if (argc == 5)
        rate = strtoul(argv[4], NULL, 10);
    if (size < 60 || size > sizeof(frame))
        return 2;
    addr.sll_ifindex = (int)if_nametoindex(argv[1]);
    addr.sll_halen = ETH_ALEN;
    memset(addr.sll_addr, 0xff, ETH_ALEN);
    s = socket(AF_PACKET, SOCK_RAW, htons(0x88b5));
    if (s < 0 || addr.sll_ifindex == 0) {
        perror(argv[1]);
        return 1;
    }
    memset(frame, 0, sizeof(frame));
    memset(frame, 0xff, ETH_ALEN);
    frame[6] = 0x02;
    frame[12] = 0x88;
    frame[13] = 0xb5;
    /* The rate's clock ticks in microseconds: no timer slack on top. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    t0 = now_ns();
    while (sent < count) {
        if (rate && sent % BURST == 0)
            sleep_until(t0 + (uint64_t)sent * 1000000000ULL / rate);
        if (sendto(s, frame, size, 0, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
            if (errno == ENOBUFS || errno == EAGAIN)
                continue;
            perror("sendto");
            return 1;
        }
        sent++;
    }
    t1 = now_ns();
    printf("net_blast: frames=%lu ns=%llu\n", sent, (unsigned long long)(t1 - t0));
    return 0;
}
