/*
 * stub_devices.c: the Solo5 network and block API of a platform without
 * Solo5 devices: every call fails with SOLO5_R_EUNSPEC.  The stub's, and
 * the xen target's too (MirageOS drives Xen's own netfront and blkfront;
 * upstream's xen bindings answer EUNSPEC as well): xen builds this file
 * (extra_sources in the targets table) in place of the shared
 * bindings_net.c and bindings_block.c (replaces_shared).
 */
#include "solo5.h"

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_net_info *info)
{
    (void)name;
    (void)handle;
    (void)info;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size)
{
    (void)handle;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
        size_t *read_size)
{
    (void)handle;
    (void)buf;
    (void)size;
    (void)read_size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_block_info *info)
{
    (void)name;
    (void)handle;
    (void)info;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size)
{
    (void)handle;
    (void)offset;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
        uint8_t *buf, size_t size)
{
    (void)handle;
    (void)offset;
    (void)buf;
    (void)size;
    return SOLO5_R_EUNSPEC;
}
