/*
 * tender_mft.h: the application manifest (MFT1 note) on the tender side.
 */
#ifndef TENDER_MFT_H
#define TENDER_MFT_H

#include <stddef.h>

#include "mft_abi.h"
#include "tender_elf.h"
#include "tender_err.h"

/*
 * Checks a manifest of `size` bytes as read from the note (ref §4.4),
 * plus what upstream leaves to chance: device types must be known, device
 * names non-empty, alphanumeric and unique.
 */
int tender_mft_validate(const struct mft *mft, size_t size,
        struct tender_err *err);

/*
 * Reads and validates the MFT1 note.  Returns 1 and a malloc'd manifest in
 * *mft and *size, 0 if the executable has no manifest note, -1 if the note is
 * malformed, TENDER_MFT_INVALID if the manifest in it is invalid.
 */
#define TENDER_MFT_INVALID (-2)
int tender_mft_load(int fd, const struct tender_elf *elf, struct mft **mft,
        size_t *size, struct tender_err *err);

/* The entry called `name` of type `type`, or NULL; *index gets its index. */
struct mft_entry *tender_mft_find(struct mft *mft, const char *name,
        enum mft_type type, unsigned *index);

/* "BLOCK_BASIC", "NET_BASIC", or "UNKNOWN". */
const char *tender_mft_type_name(enum mft_type type);

#endif /* TENDER_MFT_H */
