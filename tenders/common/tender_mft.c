/*
 * tender_mft.c: validating and querying the application manifest.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tender_mft.h"

const char *tender_mft_type_name(enum mft_type type)
{
    switch (type) {
    case MFT_DEV_BLOCK_BASIC:
        return "BLOCK_BASIC";
    case MFT_DEV_NET_BASIC:
        return "NET_BASIC";
    case MFT_RESERVED_FIRST:
        return "RESERVED_FIRST";
    }
    return "UNKNOWN";
}

static bool mft_all_zero(const void *p, size_t size)
{
    const unsigned char *c = p;

    for (size_t i = 0; i < size; i++) {
        if (c[i] != 0)
            return false;
    }
    return true;
}

static int mft_check_entry(const struct mft *mft, unsigned i,
        struct tender_err *err)
{
    const struct mft_entry *e = &mft->e[i];
    /* Untrusted bytes: read `attached` as a byte, a bool must be 0 or 1. */
    unsigned char attached;

    memcpy(&attached, &e->attached, 1);
    if (e->name[MFT_NAME_SIZE - 1] != '\0')
        return tender_err_set(err, "entry %u: name is not NUL-terminated", i);
    if (attached != 0)
        return tender_err_set(err, "entry %u: attached is set on disk", i);
    /* The tender fills u and b in; a value on disk would slip past the
     * command-line checks (a block size that is no power of two, a
     * multicast MAC). */
    if (!mft_all_zero(&e->u, sizeof(e->u)) || !mft_all_zero(&e->b,
                sizeof(e->b)))
        return tender_err_set(err, "entry %u: private fields are set on "
                "disk", i);
    if (i == 0)
        return 0;
    if (e->type != MFT_DEV_BLOCK_BASIC && e->type != MFT_DEV_NET_BASIC)
        return tender_err_set(err, "entry %u: unknown device type %#x", i,
                (unsigned)e->type);
    if (e->name[0] == '\0')
        return tender_err_set(err, "entry %u: empty device name", i);
    /* As on the command line: a name that could never be attached is an
     * error here, and names are then safe to print. */
    for (const char *c = e->name; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c))
            return tender_err_set(err, "entry %u: device name is not "
                    "alphanumeric", i);
    }
    for (unsigned j = 1; j < i; j++) {
        if (strcmp(mft->e[j].name, e->name) == 0)
            return tender_err_set(err, "entry %u: duplicate device name "
                    "'%s'", i, e->name);
    }
    return 0;
}

int tender_mft_validate(const struct mft *mft, size_t size,
        struct tender_err *err)
{
    if (size < sizeof(struct mft))
        return tender_err_set(err, "manifest is %zu bytes, less than its "
                "%zu-byte header", size, sizeof(struct mft));
    if (mft->version != MFT_VERSION)
        return tender_err_set(err, "manifest version %u, expected %u",
                mft->version, MFT_VERSION);
    if (mft->entries > MFT_MAX_ENTRIES)
        return tender_err_set(err, "%u entries, maximum %u", mft->entries,
                MFT_MAX_ENTRIES);
    if (mft->entries < 1)
        return tender_err_set(err, "no entries (the reserved first entry "
                "is missing)");
    if (size != sizeof(struct mft) + mft->entries * sizeof(struct mft_entry))
        return tender_err_set(err, "manifest is %zu bytes, expected %zu for "
                "%u entries", size, sizeof(struct mft) +
                mft->entries * sizeof(struct mft_entry), mft->entries);
    if (mft->e[0].type != MFT_RESERVED_FIRST || mft->e[0].name[0] != '\0')
        return tender_err_set(err, "entry 0 is not the reserved entry");
    for (unsigned i = 0; i < mft->entries; i++) {
        if (mft_check_entry(mft, i, err) != 0)
            return -1;
    }
    return 0;
}

int tender_mft_load(int fd, const struct tender_elf *elf, struct mft **mft,
        size_t *size, struct tender_err *err)
{
    void *desc = NULL;
    int rc;

    rc = tender_elf_find_note(fd, elf, MFT1_NOTE_TYPE, MFT1_NOTE_ALIGN,
            MFT1_NOTE_MAX_SIZE, &desc, size, err);
    if (rc <= 0)
        return rc;
    /* A copy large enough for the header even if the note is smaller, so
     * that validation reads only initialised bytes. */
    if (*size < sizeof(struct mft)) {
        free(desc);
        tender_err_set(err, "manifest is %zu bytes, less than its "
                "%zu-byte header", *size, sizeof(struct mft));
        return TENDER_MFT_INVALID;
    }
    if (tender_mft_validate(desc, *size, err) != 0) {
        free(desc);
        return TENDER_MFT_INVALID;
    }
    *mft = desc;
    return 1;
}

struct mft_entry *tender_mft_find(struct mft *mft, const char *name,
        enum mft_type type, unsigned *index)
{
    for (unsigned i = 1; i < mft->entries; i++) {
        if (mft->e[i].type == type && strcmp(mft->e[i].name, name) == 0) {
            if (index != NULL)
                *index = i;
            return &mft->e[i];
        }
    }
    return NULL;
}
