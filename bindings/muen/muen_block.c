/*
 * muen_block.c: a BLOCK_BASIC device NAME is the request channel
 * "NAME|req" (written by the unikernel) and the response channel
 * "NAME|resp" (read).  A request carries one 512-byte block; so does the
 * response to a read.  A transfer of several blocks (the API allows any
 * whole number) is one request per block, in order; the first failure ends
 * it with SOLO5_R_EUNSPEC, the blocks before it transferred.  The capacity is the first response of the server to
 * a MUEN_BLOCK_OP_INFO request.  Requests are synchronous and tagged, so a
 * response to anything else is skipped.
 */
#include "muen.h"

#define MUEN_BLOCK_SIZE 512
#define MUEN_BLOCK_OP_INFO 0
#define MUEN_BLOCK_OP_READ 1
#define MUEN_BLOCK_OP_WRITE 2
#define MUEN_BLOCK_STATUS_OK 0
/* Give up on a server that does not answer (in TSC-independent spins). */
#define MUEN_BLOCK_SPIN_MAX 100000000ULL

struct block_element {
    uint64_t tag;
    uint64_t offset;   /* bytes; capacity in an INFO response */
    uint32_t op;
    uint32_t status;
    uint8_t data[MUEN_BLOCK_SIZE];
};

struct block_device {
    const struct mft_entry *entry;
    struct muen_writer req;
    struct muen_reader resp;
    uint64_t tag;
};

static struct block_device devices[MFT_MAX_ENTRIES];
static struct block_element el;

static bool request(struct block_device *d, uint32_t op, uint64_t offset,
        const uint8_t *data)
{
    uint64_t tag = ++d->tag;

    bindings_memset(&el, 0, sizeof(el));
    el.tag = tag;
    el.op = op;
    el.offset = offset;
    if (data != NULL)
        bindings_memcpy(el.data, data, MUEN_BLOCK_SIZE);
    muen_writer_write(&d->req, &el);
    for (uint64_t spin = 0; spin < MUEN_BLOCK_SPIN_MAX; spin++) {
        if (muen_reader_read(&d->resp, &el) == MUEN_READ_OK && el.tag == tag &&
                el.op == op)
            return el.status == MUEN_BLOCK_STATUS_OK;
        __asm__ __volatile__("pause");
    }
    return false;
}

void muen_block_init(struct mft *mft)
{
    char name[MUEN_NAME_MAX + 1];

    for (unsigned i = 1; i < mft->entries; i++) {
        struct mft_entry *e = &mft->e[i];
        struct block_device *d = &devices[i];

        if (e->type != MFT_DEV_BLOCK_BASIC)
            continue;
        if (!muen_channel_name(name, e->name, "|req") ||
                !muen_writer_init(&d->req, muen_channel(name), MUEN_PROTOCOL_BLOCK,
                    sizeof(struct block_element), muen_epoch()))
            continue;
        if (!muen_channel_name(name, e->name, "|resp") ||
                muen_channel(name) == NULL)
            continue;
        muen_reader_init(&d->resp, muen_channel(name), MUEN_PROTOCOL_BLOCK);
        if (!request(d, MUEN_BLOCK_OP_INFO, 0, NULL))
            continue;
        e->u.block_basic.capacity = el.offset;
        e->u.block_basic.block_size = MUEN_BLOCK_SIZE;
        d->entry = e;
        e->attached = true;
    }
}

static struct block_device *device_of(const struct mft_entry *e)
{
    unsigned i = (unsigned)(e - bindings_mft()->e);

    return i < MFT_MAX_ENTRIES && devices[i].entry == e ? &devices[i] : NULL;
}

solo5_result_t platform_block_write(const struct mft_entry *e,
        solo5_off_t offset, const uint8_t *buf, size_t size)
{
    struct block_device *d = device_of(e);

    if (d == NULL || size == 0 || size % MUEN_BLOCK_SIZE != 0)
        return SOLO5_R_EINVAL;
    for (size_t done = 0; done < size; done += MUEN_BLOCK_SIZE) {
        if (!request(d, MUEN_BLOCK_OP_WRITE, offset + done, buf + done))
            return SOLO5_R_EUNSPEC;
    }
    return SOLO5_R_OK;
}

solo5_result_t platform_block_read(const struct mft_entry *e,
        solo5_off_t offset, uint8_t *buf, size_t size)
{
    struct block_device *d = device_of(e);

    if (d == NULL || size == 0 || size % MUEN_BLOCK_SIZE != 0)
        return SOLO5_R_EINVAL;
    for (size_t done = 0; done < size; done += MUEN_BLOCK_SIZE) {
        if (!request(d, MUEN_BLOCK_OP_READ, offset + done, NULL))
            return SOLO5_R_EUNSPEC;
        bindings_memcpy(buf + done, el.data, MUEN_BLOCK_SIZE);
    }
    return SOLO5_R_OK;
}
