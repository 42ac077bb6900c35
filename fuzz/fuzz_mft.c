/*
 * fuzz_mft.c: manifest validation (tender_mft_validate(), ref §4.4 plus
 * our stricter rules), on the bytes of an MFT1 note's descriptor.
 *
 * The input is the descriptor, in a heap buffer of exactly its size (ASan
 * catches any read past it).  Beyond memory safety, checked against a
 * second, plainly written statement of the rules (spec_valid()): the
 * validator accepts exactly the manifests it should, and every entry of an
 * accepted one is found by name.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "tender_mft.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    while (n-- > 0)
        if (*p++ != 0)
            return false;
    return true;
}

/* Entry i of the raw bytes, by the ABI's offsets. */
static bool spec_entry_ok(const uint8_t *raw, unsigned i)
{
    const uint8_t *e = raw + sizeof(struct mft) + i * sizeof(struct mft_entry);
    const char *name = (const char *)e + offsetof(struct mft_entry, name);
    size_t len = strnlen(name, MFT_NAME_SIZE);
    uint32_t type;
    size_t priv = offsetof(struct mft_entry, u);
    size_t priv_end = offsetof(struct mft_entry, attached) + 1;

    memcpy(&type, e + offsetof(struct mft_entry, type), sizeof(type));
    /* The fields the tender fills in (u, b, attached) are zero on disk;
     * the struct's tail padding is no field and may hold anything.  The
     * name's last byte is NUL (ref §4.4); bytes after its first NUL are
     * not looked at. */
    if (!all_zero(e + priv, priv_end - priv) || name[MFT_NAME_SIZE - 1] != 0)
        return false;
    if (i == 0)
        return type == MFT_RESERVED_FIRST && len == 0;
    if (type != MFT_DEV_BLOCK_BASIC && type != MFT_DEV_NET_BASIC)
        return false;
    if (len == 0)
        return false;
    for (size_t c = 0; c < len; c++)
        if (!isalnum((unsigned char)name[c]))
            return false;
    for (unsigned j = 1; j < i; j++)
        if (strcmp(name, (const char *)raw + sizeof(struct mft) +
                    j * sizeof(struct mft_entry)) == 0)
            return false;
    return true;
}

static bool spec_valid(const uint8_t *raw, size_t size)
{
    uint32_t version, entries;

    if (size < sizeof(struct mft))
        return false;
    memcpy(&version, raw, 4);
    memcpy(&entries, raw + 4, 4);
    if (version != MFT_VERSION || entries < 1 || entries > MFT_MAX_ENTRIES)
        return false;
    if (size != sizeof(struct mft) + entries * sizeof(struct mft_entry))
        return false;
    for (unsigned i = 0; i < entries; i++)
        if (!spec_entry_ok(raw, i))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tender_err err = { { 0 } };
    struct mft *mft = malloc(size > 0 ? size : 1);
    bool ok;

    FUZZ_CHECK(mft != NULL);
    memcpy(mft, data, size);
    ok = tender_mft_validate(mft, size, &err) == 0;
    FUZZ_CHECK(ok == spec_valid(data, size));
    if (ok) {
        for (unsigned i = 1; i < mft->entries; i++) {
            unsigned index = 0;

            FUZZ_CHECK(tender_mft_find(mft, mft->e[i].name, mft->e[i].type,
                        &index) == &mft->e[i] && index == i);
            FUZZ_CHECK(strcmp(tender_mft_type_name(mft->e[i].type),
                        "UNKNOWN") != 0);
        }
    } else {
        FUZZ_CHECK(err.msg[0] != '\0' &&
                memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
    }
    free(mft);
    return 0;
}
