/*
 * tender_elf.h: reading, validating and loading a unikernel's ELF image.
 *
 * Every function here is pure in the sense that matters for a tender: it
 * reports problems through a struct tender_err and never prints or exits.
 * Messages describe the problem only; the caller prefixes the file name
 * (and "invalid executable: " for format errors).
 */
#ifndef TENDER_ELF_H
#define TENDER_ELF_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#include "tender_err.h"

struct tender_elf {
    Elf64_Ehdr ehdr;
    Elf64_Phdr *phdr;       /* ehdr.e_phnum entries, owned */
    uint64_t file_size;
};

/*
 * Guest memory as seen by the loader: guest addresses [base, size) are at
 * host + (address - base).  hvt uses base 0; spt maps from 0x10000 upwards
 * at identical host addresses, so there host == (uint8_t *)base.
 */
struct tender_mem {
    uint8_t *host;
    uint64_t base;
    uint64_t size;          /* guest addresses end here (exclusive) */
    uint64_t min_load;      /* lowest address a segment or e_entry may use */
};

/* Page size of protections, from toolchain/abi.py (set by the build). */
#ifndef TENDER_PAGE_SIZE
#error "TENDER_PAGE_SIZE must be defined by the build (toolchain/abi.py)"
#endif

/* Reads and checks the ELF header and program headers of `fd`. */
int tender_elf_read(int fd, struct tender_elf *elf, struct tender_err *err);
void tender_elf_free(struct tender_elf *elf);

/* Architecture check, in tender_elf_<arch>.c. */
int tender_elf_check_machine(const Elf64_Ehdr *ehdr, struct tender_err *err);

/*
 * Looks for the first note of type `type` owned by "Solo5": only the first
 * note of each PT_NOTE segment is examined.  The descriptor starts at the
 * note header rounded up to `align`; `max_descsz` bounds n_descsz.
 * Returns 1 and a malloc'd copy of the descriptor (the padding excluded) in
 * *desc and *desc_size when found, 0 when absent, -1 on a malformed note.
 */
int tender_elf_find_note(int fd, const struct tender_elf *elf, uint32_t type,
        size_t align, size_t max_descsz, void **desc, size_t *desc_size,
        struct tender_err *err);

/*
 * Applies a loaded segment's protection (PF_R/PF_W/PF_X flags) to the
 * page-aligned guest range [gpa, gpa + size).  Never called with PF_W|PF_X.
 */
typedef int (*tender_elf_protect_fn)(void *ctx, uint64_t gpa, uint64_t size,
        uint32_t pf_flags, struct tender_err *err);

/*
 * Validates every PT_LOAD segment against `mem` (as tender_elf_load() does
 * first) and sets *kernel_end; loads nothing.
 */
int tender_elf_check(const struct tender_elf *elf,
        const struct tender_mem *mem, uint64_t *kernel_end,
        struct tender_err *err);

/*
 * Validates every PT_LOAD segment against `mem`, then copies each into guest
 * memory, zeroes the rest of its p_memsz and calls `protect` for it.
 * On success sets *entry and *kernel_end (end of the highest segment,
 * p_memsz included).
 */
int tender_elf_load(int fd, const struct tender_elf *elf,
        const struct tender_mem *mem, tender_elf_protect_fn protect,
        void *ctx, uint64_t *entry, uint64_t *kernel_end,
        struct tender_err *err);

#endif /* TENDER_ELF_H */
