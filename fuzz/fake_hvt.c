/*
 * fake_hvt.c: a solo5-hvt tender without a VM (fake_hvt.h).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_hvt.h"
#include "util.h"

static const struct tender_backend fake_backend = { .name = "solo5-hvt" };

static const struct {
    const char *name;
    enum mft_type type;
    uint16_t size;          /* block size or MTU */
    bool attached;
} devices[FAKE_HVT_ENTRIES] = {
    [1] = { "disk", MFT_DEV_BLOCK_BASIC, 512, true },
    [2] = { "net", MFT_DEV_NET_BASIC, 1500, true },
    [3] = { "big", MFT_DEV_BLOCK_BASIC, 4096, true },
    [4] = { "jumbo", MFT_DEV_NET_BASIC, 9000, true },
    [5] = { "spare", MFT_DEV_BLOCK_BASIC, 512, false },
};

static void fake_attach(struct fake_hvt *f, unsigned i)
{
    struct mft_entry *e = &f->mft->e[i];
    int sv[2];

    strcpy(e->name, devices[i].name);
    e->type = devices[i].type;
    e->attached = devices[i].attached;
    if (!e->attached)
        return;
    if (e->type == MFT_DEV_BLOCK_BASIC) {
        e->b.hostfd = memfd_create(e->name, MFD_CLOEXEC);
        FUZZ_CHECK(e->b.hostfd >= 0);
        FUZZ_CHECK(ftruncate(e->b.hostfd, FAKE_HVT_BLOCK_BYTES) == 0);
        e->u.block_basic.block_size = devices[i].size;
        e->u.block_basic.capacity = FAKE_HVT_BLOCK_BYTES;
        return;
    }
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0, sv) == 0);
    e->b.hostfd = sv[0];
    f->peer[i] = sv[1];
    e->u.net_basic.mtu = devices[i].size;
    memcpy(e->u.net_basic.mac, "\x02\x00\x00\x00\x00\x01", 6);
}

static void fake_memory(struct fake_hvt *f)
{
    size_t map = FAKE_HVT_MEM_SIZE + TENDER_PAGE_SIZE;
    uint8_t *p = mmap(NULL, map, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    FUZZ_CHECK(p != MAP_FAILED);
    FUZZ_CHECK(mprotect(p, FAKE_HVT_RO_END, PROT_READ) == 0);
    FUZZ_CHECK(mprotect(p + FAKE_HVT_MEM_SIZE, TENDER_PAGE_SIZE,
                PROT_NONE) == 0);
    f->h.mem = p;
    f->h.mem_size = FAKE_HVT_MEM_SIZE;
    f->h.ro[0] = (struct hvt_range){ HVT_GUEST_MIN_BASE, FAKE_HVT_RO_END };
    f->h.n_ro = 1;
    f->h.x[0] = f->h.ro[0];
    f->h.n_x = 1;
}

void fake_hvt_init(struct fake_hvt *f)
{
    size_t mft_size = sizeof(struct mft) +
        FAKE_HVT_ENTRIES * sizeof(struct mft_entry);

    memset(f, 0, sizeof(*f));
    for (unsigned i = 0; i < FAKE_HVT_ENTRIES; i++)
        f->peer[i] = -1;
    f->mft = calloc(1, mft_size);
    FUZZ_CHECK(f->mft != NULL);
    f->mft->version = MFT_VERSION;
    f->mft->entries = FAKE_HVT_ENTRIES;
    f->mft->e[0].type = MFT_RESERVED_FIRST;
    for (unsigned i = 1; i < FAKE_HVT_ENTRIES; i++)
        fake_attach(f, i);
    f->h = (struct hvt){
        .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .epoll_fd = -1,
        .timer_fd = -1, .ring_kick_fd = -1, .ring_rx_fd = -1,
        .ring_poll_fd = -1, .ring_watch_fd = -1, .user_mode = true,
        .cycle_hz = 1000000000ULL,
    };
    fake_memory(f);
    f->t = (struct tender){
        .backend = &fake_backend, .kernel = "fuzz.hvt", .kernel_fd = -1,
        .mft = f->mft, .mft_size = mft_size, .priv = &f->h,
        .mem = { .host = f->h.mem, .base = 0, .size = FAKE_HVT_MEM_SIZE,
            .min_load = HVT_GUEST_MIN_BASE },
    };
}

static void drain(int fd)
{
    uint8_t buf[16];

    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0)
        ;
}

void fake_hvt_reset(struct fake_hvt *f, const uint8_t *data, size_t size)
{
    uint8_t *p = f->h.mem + FAKE_HVT_DATA;

    if (size > FAKE_HVT_DATA_MAX)
        size = FAKE_HVT_DATA_MAX;
    memcpy(p, data, size);
    memset(p + size, 0, FAKE_HVT_DATA_MAX - size);
    for (unsigned i = 1; i < FAKE_HVT_ENTRIES; i++) {
        if (f->peer[i] < 0)
            continue;
        drain(f->peer[i]);
        drain(f->mft->e[i].b.hostfd);
    }
}

void fake_hvt_check_blocks(struct fake_hvt *f)
{
    for (unsigned i = 1; i < FAKE_HVT_ENTRIES; i++) {
        const struct mft_entry *e = &f->mft->e[i];
        struct stat st;

        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        FUZZ_CHECK(fstat(e->b.hostfd, &st) == 0);
        FUZZ_CHECK((uint64_t)st.st_size == e->u.block_basic.capacity);
    }
}

uint8_t *fake_hvt_at(struct fake_hvt *f, uint64_t gpa)
{
    return f->h.mem + gpa;
}
