/*
 * bindings_net.c: the network device API, checked here and passed to the
 * target for the transfer itself.
 */
#include "bindings.h"

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_net_info *info)
{
    const struct mft_entry *e;
    unsigned index;

    e = bindings_mft_by_name(bindings_mft(), name, MFT_DEV_NET_BASIC, &index);
    if (e == NULL || !e->attached || handle == NULL || info == NULL)
        return SOLO5_R_EINVAL;
    *handle = index;
    bindings_memset(info, 0, sizeof(*info));
    bindings_memcpy(info->mac_address, e->u.net_basic.mac,
            sizeof(info->mac_address));
    info->mtu = e->u.net_basic.mtu;
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size)
{
    const struct mft_entry *e;

    e = bindings_mft_by_index(bindings_mft(), handle, MFT_DEV_NET_BASIC);
    /* Larger than the device's frames: refused here, the same on every
     * target (hvt's I/O rings would otherwise end the guest for it). */
    if (e == NULL || buf == NULL ||
            size > (size_t)e->u.net_basic.mtu + SOLO5_NET_HLEN)
        return SOLO5_R_EINVAL;
    return platform_net_write(e, buf, size);
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
        size_t *read_size)
{
    const struct mft_entry *e;

    e = bindings_mft_by_index(bindings_mft(), handle, MFT_DEV_NET_BASIC);
    if (e == NULL || buf == NULL || read_size == NULL)
        return SOLO5_R_EINVAL;
    return platform_net_read(e, buf, size, read_size);
}
