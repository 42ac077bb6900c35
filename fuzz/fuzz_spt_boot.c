/*
 * fuzz_spt_boot.c: what solo5-spt writes for the guest before it runs:
 * the guest command line (tender_cmdline(), from the arguments after
 * KERNEL) and the boot info, manifest copy and command line at
 * SPT_BOOT_INFO_BASE (spt_boot_info()), with the manifest as the input
 * gives it (validated first, as the tender does).
 *
 * The harness maps [SPT_HOST_MEM_BASE, SPT_GUEST_MIN_BASE) at its fixed
 * address, as spt does, and makes it writable again after each input
 * (spt_boot_info() leaves it read-only).
 *
 * Input: u16 n, n bytes of manifest (the MFT1 descriptor), u8 attach (bit
 * i: entry i + 1 is attached; NET ones get a socket), u64 mem_size, u64
 * kernel_end, then the guest arguments separated by NUL bytes.
 *
 * Beyond memory safety, checked: the command line is the arguments joined
 * by single spaces, refused exactly when it does not fit; a valid manifest
 * always fits; the boot info points at exact copies of the manifest and
 * the command line, all below SPT_GUEST_MIN_BASE.
 */
#include <sanitizer/common_interface_defs.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spt.h"
#include "spt_abi.h"
#include "tender_mft.h"
#include "util.h"

#define LOW_SIZE (SPT_GUEST_MIN_BASE - SPT_HOST_MEM_BASE)
#define MAX_ARGS 64

static uint8_t *low;
static int net_fd;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int sv[2];

    (void)argc;
    (void)argv;
    low = mmap((void *)(uintptr_t)SPT_HOST_MEM_BASE, LOW_SIZE,
            PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
            MAP_FIXED_NOREPLACE, -1, 0);
    FUZZ_CHECK(low == (void *)(uintptr_t)SPT_HOST_MEM_BASE);
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
    net_fd = sv[0];
    return 0;
}

/* Splits the rest of the input at NUL bytes into args (in a copy). */
static int split_args(struct fuzz_in *in, char **copy, char **args)
{
    size_t len;
    const uint8_t *rest = fuzz_rest(in, &len);
    int n = 0;

    *copy = malloc(len + 1);
    FUZZ_CHECK(*copy != NULL);
    memcpy(*copy, rest, len);
    (*copy)[len] = '\0';
    for (char *p = *copy; n < MAX_ARGS && p <= *copy + len;
            p += strlen(p) + 1)
        args[n++] = p;
    return len == 0 ? 0 : n;
}

/* What tender_cmdline() must produce (or refuse: returns false). */
static bool expect_cmdline(char **args, int n, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t l = strlen(args[i]) + (i > 0);

        if (len + l >= size)
            return false;
        if (i > 0)
            strcat(out, " ");
        strcat(out, args[i]);
        len += l;
    }
    return true;
}

static void check_cmdline(struct tender *t, char **args, int n)
{
    static char want[SPT_CMDLINE_SIZE + 1];
    struct tender_err err = { { 0 } };
    bool fits = expect_cmdline(args, n, want, SPT_CMDLINE_SIZE);

    t->cmdline = NULL;
    FUZZ_CHECK((tender_cmdline(args, n, SPT_CMDLINE_SIZE, &t->cmdline,
                    &err) == 0) == fits);
    if (fits)
        FUZZ_CHECK(strcmp(t->cmdline, want) == 0);
}

/* Attaches entries 1-8 as the bits say (a NET device gets its own fd, as
 * in the tender: epoll takes each fd once). */
static void attach(struct mft *mft, unsigned bits)
{
    for (unsigned i = 1; i < mft->entries && i <= 8; i++) {
        struct mft_entry *e = &mft->e[i];

        if (!(bits & (1U << (i - 1))))
            continue;
        e->attached = true;
        e->b.hostfd = e->type == MFT_DEV_NET_BASIC ? dup(net_fd) :
            1000 + (int)i;
        FUZZ_CHECK(e->b.hostfd >= 0);
    }
}

static void detach(struct mft *mft)
{
    for (unsigned i = 1; i < mft->entries; i++)
        if (mft->e[i].attached && mft->e[i].type == MFT_DEV_NET_BASIC)
            close(mft->e[i].b.hostfd);
}

static void boot(struct tender *t)
{
    struct spt spt = { .epollfd = -1, .timerfd = -1 };
    struct tender_err err = { { 0 } };
    const struct spt_boot_info *bi = (const void *)(uintptr_t)
        SPT_BOOT_INFO_BASE;

    t->priv = &spt;
    if (spt_boot_info(t, &err) != 0) {
        /* The message says which promise broke. */
        __sanitizer_report_error_summary(err.msg);
        FUZZ_CHECK(!"spt_boot_info() failed");
    }
    FUZZ_CHECK((uintptr_t)bi->mft >= SPT_BOOT_INFO_BASE + sizeof(*bi) &&
            (uintptr_t)bi->mft + t->mft_size <= (uintptr_t)bi->cmdline);
    FUZZ_CHECK((uintptr_t)bi->cmdline + SPT_CMDLINE_SIZE <=
            SPT_GUEST_MIN_BASE);
    FUZZ_CHECK(memcmp(bi->mft, t->mft, t->mft_size) == 0);
    FUZZ_CHECK(strcmp(bi->cmdline, t->cmdline) == 0);
    FUZZ_CHECK(bi->mem_size == t->mem.size &&
            bi->kernel_end == t->kernel_end);
    FUZZ_CHECK(bi->epollfd == spt.epollfd && bi->timerfd == spt.timerfd);
    close(spt.epollfd);
    close(spt.timerfd);
    FUZZ_CHECK(mprotect(low, LOW_SIZE, PROT_READ | PROT_WRITE) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size, 0 };
    struct tender t = { .kernel_fd = -1 };
    struct tender_err err;
    size_t mft_size = (size_t)fuzz_take(&in, 2);
    char *copy, *args[MAX_ARGS];
    int n;

    if (mft_size > in.size - in.pos)
        mft_size = in.size - in.pos;
    t.mft = malloc(mft_size > 0 ? mft_size : 1);
    FUZZ_CHECK(t.mft != NULL);
    memcpy(t.mft, in.data + in.pos, mft_size);
    in.pos += mft_size;
    t.mft_size = mft_size;
    if (tender_mft_validate(t.mft, mft_size, &err) != 0) {
        free(t.mft);
        return 0;
    }
    attach(t.mft, (unsigned)fuzz_take(&in, 1));
    t.mem.size = fuzz_take(&in, 8);
    t.mem.min_load = SPT_GUEST_MIN_BASE;
    t.kernel_end = fuzz_take(&in, 8);
    n = split_args(&in, &copy, args);
    check_cmdline(&t, args, n);
    if (t.cmdline != NULL)
        boot(&t);
    detach(t.mft);
    free(t.cmdline);
    free(copy);
    free(t.mft);
    return 0;
}
