/*
 * tender_block.c: the "block" module: --block:NAME=PATH attaches a file or
 * block device as the BLOCK_BASIC device NAME, --block-sector-size:NAME=N
 * sets its block size (a power of 2, at least 512; 512 by default).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "solo5.h"
#include "tender_mft.h"
#include "tender_modules.h"

#define BLOCK_OPT "--block:"
#define SECTOR_OPT "--block-sector-size:"
#define BLOCK_SIZE_MIN 512
#define BLOCK_SIZE_DEFAULT 512

static int block_entry(struct tender *t, const char *name,
        struct mft_entry **e, struct tender_err *err)
{
    *e = tender_mft_find(t->mft, name, MFT_DEV_BLOCK_BASIC, NULL);
    if (*e == NULL) {
        tender_err_set(err, "Resource not declared in manifest: '%s'", name);
        return TENDER_ARG_INVALID;
    }
    return TENDER_ARG_HANDLED;
}

static int block_attach(struct tender *t, const char *name, const char *path,
        struct tender_err *err)
{
    struct mft_entry *e;
    int fd, rc;

    rc = block_entry(t, name, &e, err);
    if (rc != TENDER_ARG_HANDLED)
        return rc;
    if (e->attached) {
        tender_err_set(err, "Block device '%s' is attached twice", name);
        return TENDER_ARG_INVALID;
    }
    if (path[0] == '\0') {
        tender_err_set(err, "Block device '%s': empty path", name);
        return TENDER_ARG_INVALID;
    }
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        tender_err_set(err, "Could not open block device: %s: %s", path,
                strerror(errno));
        return TENDER_ARG_ERROR;
    }
    e->b.hostfd = fd;
    e->attached = true;
    return TENDER_ARG_HANDLED;
}

static int block_sector_size(struct tender *t, const char *name,
        const char *value, struct tender_err *err)
{
    struct mft_entry *e;
    unsigned long v;
    char *end;
    int rc;

    rc = block_entry(t, name, &e, err);
    if (rc != TENDER_ARG_HANDLED)
        return rc;
    errno = 0;
    v = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 ||
            v < BLOCK_SIZE_MIN || v > UINT16_MAX || (v & (v - 1)) != 0) {
        tender_err_set(err, "%s: Block size must be a multiple of 2 greater "
                "than or equal %d (got '%s')", name, BLOCK_SIZE_MIN, value);
        return TENDER_ARG_ERROR;
    }
    e->u.block_basic.block_size = (uint16_t)v;
    return TENDER_ARG_HANDLED;
}

static int block_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    char buf[PATH_MAX + MFT_NAME_SIZE + 2];
    const char *name, *value;
    int rc;

    rc = tender_parse_device_arg(arg, SECTOR_OPT, buf, sizeof(buf), &name,
            &value, err);
    if (rc < 0)
        return TENDER_ARG_INVALID;
    if (rc > 0)
        return block_sector_size(t, name, value, err);
    rc = tender_parse_device_arg(arg, BLOCK_OPT, buf, sizeof(buf), &name,
            &value, err);
    if (rc < 0)
        return TENDER_ARG_INVALID;
    if (rc > 0)
        return block_attach(t, name, value, err);
    return TENDER_ARG_UNKNOWN;
}

static int block_setup(struct tender *t, struct tender_err *err)
{
    for (unsigned i = 1; i < t->mft->entries; i++) {
        struct mft_entry *e = &t->mft->e[i];
        uint64_t bs;
        off_t cap;

        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        if (e->u.block_basic.block_size == 0)
            e->u.block_basic.block_size = BLOCK_SIZE_DEFAULT;
        bs = e->u.block_basic.block_size;
        cap = lseek(e->b.hostfd, 0, SEEK_END);
        if (cap < 0)
            return tender_err_set(err, "%s: Could not determine the size of "
                    "the backing storage: %s", e->name, strerror(errno));
        if ((uint64_t)cap % bs != 0)
            return tender_err_set(err, "%s: Backing storage size must be "
                    "block aligned (%llu bytes)", e->name,
                    (unsigned long long)bs);
        if ((uint64_t)cap < bs)
            return tender_err_set(err, "%s: Backing storage must be at least "
                    "1 block (%llu bytes) in size", e->name,
                    (unsigned long long)bs);
        e->u.block_basic.capacity = (uint64_t)cap;
    }
    return 0;
}

const struct tender_module tender_module_block = {
    .name = "block",
    .handle_cmdarg = block_cmdarg,
    .setup = block_setup,
    .usage =
        "    [ --block:NAME=PATH ] (attach block device/file at PATH as "
        "block storage NAME)\n"
        "    [ --block-sector-size:NAME=N ] (block size of NAME in bytes: a "
        "power of 2, at least 512; default 512)\n",
};

/*
 * Transfers for tenders that do the guest's block I/O themselves (hvt's
 * hypercalls and I/O rings); spt guests issue pread64/pwrite64 directly,
 * bounded by seccomp instead.
 */
bool tender_block_request_ok(const struct mft_entry *e, uint64_t offset,
        uint64_t len)
{
    uint64_t bs = e->u.block_basic.block_size;
    uint64_t cap = e->u.block_basic.capacity;

    /* Whole blocks, aligned, inside the device; written without sums. */
    return len != 0 && len % bs == 0 && offset % bs == 0 && len <= cap &&
        offset <= cap - len && len <= SSIZE_MAX;
}

int tender_block_transfer(const struct mft_entry *e, bool write,
        uint8_t *data, uint64_t offset, uint64_t len, struct tender_err *err)
{
    uint64_t done = 0;

    while (done < len) {
        ssize_t n = write ?
            pwrite(e->b.hostfd, data + done, len - done,
                    (off_t)(offset + done)) :
            pread(e->b.hostfd, data + done, len - done,
                    (off_t)(offset + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return tender_err_set(err, "%s: %s %llu bytes at offset %llu "
                    "failed: %s", e->name, write ? "writing" : "reading",
                    (unsigned long long)(len - done),
                    (unsigned long long)(offset + done), strerror(errno));
        if (n == 0)
            return tender_err_set(err, "%s: %s stopped at offset %llu, %llu "
                    "of %llu bytes done: the file ends there (truncated?)",
                    e->name, write ? "writing" : "reading",
                    (unsigned long long)(offset + done),
                    (unsigned long long)done, (unsigned long long)len);
        done += (uint64_t)n;
    }
    return 0;
}

int tender_block_serve(struct tender *t, const struct mft_entry *e,
        bool write, uint8_t *data, uint64_t offset, uint64_t len)
{
    uint64_t bit = 1ULL << (e - t->mft->e);
    struct tender_err err;

    if (tender_block_transfer(e, write, data, offset, len, &err) == 0)
        return SOLO5_R_OK;
    if (!(__atomic_fetch_or(&t->io_warned, bit, __ATOMIC_RELAXED) & bit))
        tender_warn(t, "%s; the guest gets SOLO5_R_EUNSPEC (reported once "
                "per device)", err.msg);
    return SOLO5_R_EUNSPEC;
}
