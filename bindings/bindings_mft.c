/*
 * bindings_mft.c: finding devices in the tender-filled manifest copy.
 *
 * Handles are manifest indexes (entry 0 is the reserved one, so the first
 * device is handle 1); the same index is the bit of a handle set.
 */
#include "bindings.h"

/* Set once at start-up; NULL on targets without devices. */
static const struct mft *bindings_manifest;

void bindings_mft_init(const struct mft *mft)
{
    bindings_manifest = mft;
}

const struct mft *bindings_mft(void)
{
    return bindings_manifest;
}

const struct mft_entry *bindings_mft_by_name(const struct mft *mft,
        const char *name, enum mft_type type, unsigned *index)
{
    if (mft == NULL || name == NULL)
        return NULL;
    for (unsigned i = 0; i < mft->entries && i < MFT_MAX_ENTRIES; i++) {
        const struct mft_entry *e = &mft->e[i];

        /* First match wins: names are not checked for duplicates. */
        if (e->type == type &&
                bindings_strncmp(e->name, name, MFT_NAME_SIZE) == 0) {
            *index = i;
            return e;
        }
    }
    return NULL;
}

const struct mft_entry *bindings_mft_by_index(const struct mft *mft,
        uint64_t index, enum mft_type type)
{
    const struct mft_entry *e;

    if (mft == NULL || index >= mft->entries || index >= MFT_MAX_ENTRIES)
        return NULL;
    e = &mft->e[index];
    if (e->type != type || !e->attached)
        return NULL;
    return e;
}

const struct mft *bindings_mft_builtin(const uint8_t *note, size_t *size)
{
    const struct mft *mft;

    if (note == NULL)
        BINDINGS_PANIC("no Solo5 manifest linked in");
    mft = (const struct mft *)(note + sizeof(struct mft1_note_header));
    if (mft->version != MFT_VERSION || mft->entries == 0 ||
            mft->entries > MFT_MAX_ENTRIES)
        BINDINGS_PANIC("invalid Solo5 manifest");
    *size = sizeof(struct mft) + mft->entries * sizeof(struct mft_entry);
    return mft;
}
