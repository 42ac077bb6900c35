/*
 * bindings_block.c: the block device API, checked here and passed to the
 * target for the transfer itself.
 */
#include "bindings.h"

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_block_info *info)
{
    const struct mft_entry *e;
    unsigned index;

    e = bindings_mft_by_name(bindings_mft(), name, MFT_DEV_BLOCK_BASIC, &index);
    if (e == NULL || !e->attached || handle == NULL || info == NULL)
        return SOLO5_R_EINVAL;
    *handle = index;
    info->capacity = e->u.block_basic.capacity;
    info->block_size = e->u.block_basic.block_size;
    return SOLO5_R_OK;
}

/*
 * A transfer is any whole number of blocks (at least one) at a block-aligned
 * offset, entirely inside the device: [offset, offset + size) with no
 * overflow.  (Upstream allows exactly one block per call; one block is
 * still valid here.)  The tender checks again: this only saves a round trip
 * and gives every target the same answer.
 */
static const struct mft_entry *block_check(solo5_handle_t handle,
        solo5_off_t offset, size_t size)
{
    const struct mft_entry *e;
    uint64_t bs, capacity;

    e = bindings_mft_by_index(bindings_mft(), handle, MFT_DEV_BLOCK_BASIC);
    if (e == NULL)
        return NULL;
    bs = e->u.block_basic.block_size;
    capacity = e->u.block_basic.capacity;
    if (bs == 0 || size == 0 || size % bs != 0 || offset % bs != 0 ||
            size > capacity || offset > capacity - size)
        return NULL;
    return e;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size)
{
    const struct mft_entry *e = block_check(handle, offset, size);

    if (e == NULL || buf == NULL)
        return SOLO5_R_EINVAL;
    return platform_block_write(e, offset, buf, size);
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
        uint8_t *buf, size_t size)
{
    const struct mft_entry *e = block_check(handle, offset, size);

    if (e == NULL || buf == NULL)
        return SOLO5_R_EINVAL;
    return platform_block_read(e, offset, buf, size);
}
