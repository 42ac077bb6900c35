/*
 * muen_net.c: a NET_BASIC device NAME is the channel pair "NAME|out"
 * (written by the unikernel) and "NAME|in" (read); one frame per element.
 * The MAC address is derived from the device name (locally administered),
 * the MTU is 1500.
 */
#include "muen.h"

#define MUEN_NET_MTU 1500
#define MUEN_NET_FRAME_MAX (MUEN_NET_MTU + SOLO5_NET_HLEN)

struct net_element {
    uint16_t length;
    uint8_t pad[6];
    uint8_t data[MUEN_NET_FRAME_MAX];
    uint8_t pad2[2];
};

struct net_device {
    const struct mft_entry *entry;
    struct muen_writer out;
    struct muen_reader in;
};

static struct net_device devices[MFT_MAX_ENTRIES];

static void net_mac(struct mft_entry *e)
{
    uint32_t h = 2166136261U; /* FNV-1a of the name */

    for (const char *p = e->name; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619U;
    e->u.net_basic.mac[0] = 0x02;
    e->u.net_basic.mac[1] = 0x00;
    for (int i = 0; i < 4; i++)
        e->u.net_basic.mac[2 + i] = (uint8_t)(h >> (8 * i));
}

void muen_net_init(struct mft *mft)
{
    char name[MUEN_NAME_MAX + 1];

    for (unsigned i = 1; i < mft->entries; i++) {
        struct mft_entry *e = &mft->e[i];
        struct net_device *d = &devices[i];

        if (e->type != MFT_DEV_NET_BASIC)
            continue;
        if (!muen_channel_name(name, e->name, "|out") ||
                !muen_writer_init(&d->out, muen_channel(name), MUEN_PROTOCOL_NET,
                    sizeof(struct net_element), muen_epoch()))
            continue;
        if (!muen_channel_name(name, e->name, "|in") || muen_channel(name) == NULL)
            continue;
        muen_reader_init(&d->in, muen_channel(name), MUEN_PROTOCOL_NET);
        net_mac(e);
        e->u.net_basic.mtu = MUEN_NET_MTU;
        d->entry = e;
        e->attached = true;
    }
}

solo5_handle_set_t muen_net_ready(void)
{
    solo5_handle_set_t ready = 0;

    for (unsigned i = 1; i < MFT_MAX_ENTRIES; i++) {
        if (devices[i].entry != NULL && muen_reader_has_data(&devices[i].in))
            ready |= 1ULL << i;
    }
    return ready;
}

static struct net_device *device_of(const struct mft_entry *e)
{
    unsigned i = (unsigned)(e - bindings_mft()->e);

    return i < MFT_MAX_ENTRIES && devices[i].entry == e ? &devices[i] : NULL;
}

solo5_result_t platform_net_write(const struct mft_entry *e,
        const uint8_t *buf, size_t size)
{
    static struct net_element el;
    struct net_device *d = device_of(e);

    if (d == NULL || size > MUEN_NET_FRAME_MAX)
        return SOLO5_R_EINVAL;
    bindings_memset(&el, 0, sizeof(el));
    el.length = (uint16_t)size;
    bindings_memcpy(el.data, buf, size);
    muen_writer_write(&d->out, &el);
    return SOLO5_R_OK;
}

solo5_result_t platform_net_read(const struct mft_entry *e, uint8_t *buf,
        size_t size, size_t *read_size)
{
    static struct net_element el;
    struct net_device *d = device_of(e);

    if (d == NULL)
        return SOLO5_R_EINVAL;
    for (;;) {
        switch (muen_reader_read(&d->in, &el)) {
        case MUEN_READ_OK:
            if (el.length > size || el.length > MUEN_NET_FRAME_MAX)
                return SOLO5_R_EINVAL;
            bindings_memcpy(buf, el.data, el.length);
            *read_size = el.length;
            return SOLO5_R_OK;
        case MUEN_READ_OVERRUN:
            continue; /* frames were lost; take the next one */
        default:
            return SOLO5_R_AGAIN;
        }
    }
}
