/*
 * fuzz_hypercall.c: solo5-hvt's hypercall handlers (hvt_hypercall.c) with
 * guest memory as the input, on the fake tender of fake_hvt.h (devices,
 * read-only low memory and text, a guard page after guest memory).
 *
 * Input: up to CALLS records of 6 bytes (nr, mode, 32-bit argument GPA;
 * mode bit 0 makes the GPA relative to FAKE_HVT_DATA, so that the argument
 * structs in the input are easy to reach), then guest memory from
 * FAKE_HVT_DATA on.  Calls stop at nr 0, at a HALT, or at the first error
 * (the real tender ends the guest there).  Every NET device has one frame
 * waiting before the calls, and POLL never blocks (an always-ready fd in
 * its set).
 *
 * Beyond memory safety (a write to read-only guest memory faults, as in
 * the tender), checked: results are 0, 1 (HALT only, status 0-255) or -1
 * with a message; every frame sent to a tap fits the device's MTU; no
 * block device's file grows (no transfer ends past its device).
 */
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_hvt.h"
#include "solo5.h"
#include "util.h"

#define CALLS 8
#define RECORD 6

static struct fake_hvt fake;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct tender_err err;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX - 1 };
    int ready;

    (void)argc;
    (void)argv;
    fuzz_quiet_stdout();
    fake_hvt_init(&fake);
    FUZZ_CHECK(hvt_poll_setup(&fake.t, &err) == 0);
    ready = eventfd(1, EFD_CLOEXEC);
    FUZZ_CHECK(ready >= 0);
    FUZZ_CHECK(epoll_ctl(fake.h.epoll_fd, EPOLL_CTL_ADD, ready, &ev) == 0);
    return 0;
}

static void queue_frames(void)
{
    static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    for (unsigned i = 1; i < FAKE_HVT_ENTRIES; i++)
        if (fake.peer[i] >= 0)
            FUZZ_CHECK(send(fake.peer[i], frame, sizeof(frame), 0) ==
                    (ssize_t)sizeof(frame));
}

/* Every frame the handlers wrote to device i's tap fits its MTU. */
static void check_sent(void)
{
    static uint8_t buf[65536];

    for (unsigned i = 1; i < FAKE_HVT_ENTRIES; i++) {
        const struct mft_entry *e = &fake.mft->e[i];
        ssize_t n;

        if (fake.peer[i] < 0)
            continue;
        while ((n = recv(fake.peer[i], buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
            FUZZ_CHECK(n > 0 && (size_t)n <= e->u.net_basic.mtu +
                    (size_t)SOLO5_NET_HLEN);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size, 0 };
    uint8_t calls[CALLS][RECORD] = { { 0 } };
    const uint8_t *mem;
    size_t mem_len;

    for (unsigned i = 0; i < CALLS; i++)
        for (unsigned b = 0; b < RECORD; b++)
            calls[i][b] = (uint8_t)fuzz_take(&in, 1);
    mem = fuzz_rest(&in, &mem_len);
    fake_hvt_reset(&fake, mem, mem_len);
    queue_frames();
    for (unsigned i = 0; i < CALLS && calls[i][0] != 0; i++) {
        struct tender_err err = { { 0 } };
        uint32_t arg;
        uint64_t gpa;
        int status = -1, rc;

        memcpy(&arg, &calls[i][2], sizeof(arg));
        gpa = (calls[i][1] & 1) ? FAKE_HVT_DATA + (uint64_t)arg : arg;
        rc = hvt_hypercall(&fake.t, calls[i][0], gpa, &status, &err);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        if (rc == 1) {
            FUZZ_CHECK(calls[i][0] == HVT_HYPERCALL_HALT);
            FUZZ_CHECK(status >= 0 && status <= 255);
            break;
        }
        if (rc < 0) {
            FUZZ_CHECK(err.msg[0] != '\0');
            break;
        }
    }
    check_sent();
    fake_hvt_check_blocks(&fake);
    return 0;
}
