/*
 * hvt_io.c: block and net transfers, on entries the shared code already
 * checked: through the I/O rings when the tender offers them (hvt_ring.c),
 * with sequential small reads read ahead (hvt_readahead.c), else as
 * hypercalls (upstream tenders, solo5-hvt-debug).  The handle the
 * tender sees is the manifest index.
 */
#include "hvt.h"

static uint64_t hvt_handle(const struct mft_entry *e)
{
    return (uint64_t)(e - bindings_mft()->e);
}

solo5_result_t platform_block_write(const struct mft_entry *e,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    if (hvt_readahead_on())
        return hvt_readahead_write(hvt_handle(e), offset, buf, size);
    if (hvt_ring_active())
        return hvt_ring_block(HVT_RING_BLOCK_WRITE, hvt_handle(e), offset,
                (uintptr_t)buf, size);
    struct hvt_hc_block_write wr = {
        .handle = hvt_handle(e), .offset = offset, .data = buf, .len = size,
        .ret = SOLO5_R_EUNSPEC,
    };

    hvt_hypercall(HVT_HYPERCALL_BLOCK_WRITE, &wr);
    return (solo5_result_t)wr.ret;
}

solo5_result_t platform_block_read(const struct mft_entry *e,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    if (hvt_readahead_on())
        return hvt_readahead_read(e, hvt_handle(e), offset, buf, size);
    if (hvt_ring_active())
        return hvt_ring_block(HVT_RING_BLOCK_READ, hvt_handle(e), offset,
                (uintptr_t)buf, size);
    struct hvt_hc_block_read rd = {
        .handle = hvt_handle(e), .offset = offset, .data = buf, .len = size,
        .ret = SOLO5_R_EUNSPEC,
    };

    hvt_hypercall(HVT_HYPERCALL_BLOCK_READ, &rd);
    /* All or nothing: a partial read is an error. */
    if (rd.ret == SOLO5_R_OK && rd.len != size)
        return SOLO5_R_EUNSPEC;
    return (solo5_result_t)rd.ret;
}

solo5_result_t platform_net_write(const struct mft_entry *e,
        const uint8_t *buf, size_t size)
{
    if (hvt_ring_active())
        return hvt_ring_net_write(hvt_handle(e), buf, size);
    struct hvt_hc_net_write wr = {
        .handle = hvt_handle(e), .data = buf, .len = size,
        .ret = SOLO5_R_EUNSPEC,
    };

    hvt_hypercall(HVT_HYPERCALL_NET_WRITE, &wr);
    return (solo5_result_t)wr.ret;
}

solo5_result_t platform_net_read(const struct mft_entry *e, uint8_t *buf,
        size_t size, size_t *read_size)
{
    if (hvt_ring_active())
        return hvt_ring_net_read(hvt_handle(e), buf, size, read_size);
    struct hvt_hc_net_read rd = {
        .handle = hvt_handle(e), .data = buf, .len = size,
        .ret = SOLO5_R_EUNSPEC,
    };

    hvt_hypercall(HVT_HYPERCALL_NET_READ, &rd);
    if (rd.ret == SOLO5_R_OK) {
        if (rd.len > size)
            return SOLO5_R_EUNSPEC;
        *read_size = rd.len;
    }
    return (solo5_result_t)rd.ret;
}
