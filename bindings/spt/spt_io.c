/*
 * spt_io.c: block and net transfers, as system calls on the host fds that
 * the tender put in the manifest copy (already checked by the shared code).
 *
 * Block transfers are split into chunks the seccomp filter allows (see
 * spt_abi.h): a chunk of at most c bytes at an offset <= capacity - c, for
 * c = block_size << (SPT_BLOCK_LEVEL_SHIFT * k).  Each chunk uses the
 * largest such c that fits below the offset's distance to the end, so a
 * transfer far from the end goes in chunks of the largest size and only the
 * last few chunks near the end of the device get smaller.
 */
#include "spt.h"

/* The largest chunk the filter allows at `offset` (at least one block,
 * since the shared code checked offset + block_size <= capacity). */
static uint64_t spt_block_chunk(const struct mft_entry *e, uint64_t offset)
{
    uint64_t bs = e->u.block_basic.block_size;
    uint64_t room = e->u.block_basic.capacity - offset;
    uint64_t chunk = bs;

    for (unsigned k = 1; k < SPT_BLOCK_LEVELS; k++) {
        uint64_t c = bs << (SPT_BLOCK_LEVEL_SHIFT * k);

        if (c > room)
            break;
        chunk = c;
    }
    return chunk;
}

static solo5_result_t spt_block_io(const struct mft_entry *e, bool write,
        uint64_t offset, uint8_t *buf, size_t size)
{
    while (size > 0) {
        uint64_t chunk = spt_block_chunk(e, offset);
        size_t n = size < chunk ? size : (size_t)chunk;
        long done = write ?
            spt_sys_pwrite64(e->b.hostfd, buf, n, offset) :
            spt_sys_pread64(e->b.hostfd, buf, n, offset);

        if (done == -SPT_EINTR)
            continue;
        /* All or nothing: a short transfer on a regular file is an I/O
         * error (the file shrank, or the disk is full). */
        if (done != (long)n)
            return SOLO5_R_EUNSPEC;
        buf += n;
        offset += n;
        size -= n;
    }
    return SOLO5_R_OK;
}

solo5_result_t platform_block_write(const struct mft_entry *e,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    /* pwrite64 only reads the buffer. */
    return spt_block_io(e, true, offset, (uint8_t *)(uintptr_t)buf, size);
}

solo5_result_t platform_block_read(const struct mft_entry *e,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    return spt_block_io(e, false, offset, buf, size);
}

/* The host removed the tap: its fd answers EBADFD for good, and epoll
 * reports it ready for ever.  Nothing the guest can do: end as solo5-hvt
 * does, with status 1 and the reason. */
static void spt_net_check_gone(const struct mft_entry *e, long n)
{
    if (n != -SPT_EBADFD && n != -SPT_ENODEV && n != -SPT_ENXIO)
        return;
    bindings_log(BINDINGS_LOG_ERROR, "Solo5: %s: the tap device was removed "
            "from the host (errno %ld)\n", e->name, -n);
    platform_exit(SOLO5_EXIT_FAILURE, NULL);
}

solo5_result_t platform_net_write(const struct mft_entry *e,
        const uint8_t *buf, size_t size)
{
    long n = spt_sys_write(e->b.hostfd, buf, size);

    spt_net_check_gone(e, n);
    return n == (long)size ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t platform_net_read(const struct mft_entry *e, uint8_t *buf,
        size_t size, size_t *read_size)
{
    long n = spt_sys_read(e->b.hostfd, buf, size);

    spt_net_check_gone(e, n);
    if (n == -SPT_EAGAIN)
        return SOLO5_R_AGAIN;
    if (n < 0)
        return SOLO5_R_EUNSPEC;
    *read_size = (size_t)n;
    return SOLO5_R_OK;
}
