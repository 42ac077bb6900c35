/*
 * spt_io.c: block and net transfers, as system calls on the host fds that
 * the tender put in the manifest copy (already checked by the shared code).
 */
#include "spt.h"

solo5_result_t platform_block_write(const struct mft_entry *e,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    long n = spt_sys_pwrite64(e->b.hostfd, buf, size, offset);

    return n == (long)size ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t platform_block_read(const struct mft_entry *e,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    long n = spt_sys_pread64(e->b.hostfd, buf, size, offset);

    return n == (long)size ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t platform_net_write(const struct mft_entry *e,
        const uint8_t *buf, size_t size)
{
    long n = spt_sys_write(e->b.hostfd, buf, size);

    return n == (long)size ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t platform_net_read(const struct mft_entry *e, uint8_t *buf,
        size_t size, size_t *read_size)
{
    long n = spt_sys_read(e->b.hostfd, buf, size);

    if (n == -SPT_EAGAIN)
        return SOLO5_R_AGAIN;
    if (n < 0)
        return SOLO5_R_EUNSPEC;
    *read_size = (size_t)n;
    return SOLO5_R_OK;
}
