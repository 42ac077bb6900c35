/*
 * fuzz_elf.c: the unikernel file, as a tender reads it before the guest
 * exists (tender_main.c's open_kernel() and setup()): ELF header and
 * program headers, the ABI1 note, the MFT1 note and its validation, and
 * loading every PT_LOAD segment into guest memory (hvt's layout: base 0,
 * 2 MiB, nothing below 1 MiB).
 *
 * The input is the file.  Beyond memory safety, checked: what
 * tender_elf_load() hands the protect hook lies in guest memory above
 * min_load, page-aligned, never writable and executable; the entry point
 * and kernel_end are inside guest memory; a loaded manifest validates.
 */
#include <elf.h>
#include <stdbool.h>
#include <string.h>

#include "hvt_abi.h"
#include "tender.h"
#include "tender_abi.h"
#include "tender_mft.h"
#include "util.h"

#define GUEST_SIZE (2ULL << 20)
#define GUEST_MIN_LOAD (1ULL << 20)

static uint8_t *guest;
static int file_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Heap memory: ASan's redzone right after it catches any overrun. */
    guest = malloc(GUEST_SIZE);
    FUZZ_CHECK(guest != NULL);
    return 0;
}

static int check_protect(void *ctx, uint64_t gpa, uint64_t size,
        uint32_t pf_flags, struct tender_err *err)
{
    const struct tender_mem *mem = ctx;

    (void)err;
    FUZZ_CHECK(gpa % TENDER_PAGE_SIZE == 0 && size % TENDER_PAGE_SIZE == 0);
    FUZZ_CHECK(size > 0);
    FUZZ_CHECK(gpa >= mem->min_load && gpa <= mem->size &&
            size <= mem->size - gpa);
    FUZZ_CHECK((pf_flags & ~(uint32_t)(PF_R | PF_W | PF_X)) == 0);
    FUZZ_CHECK((pf_flags & (PF_W | PF_X)) != (PF_W | PF_X));
    return 0;
}

static void check_err(const struct tender_err *err)
{
    FUZZ_CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
    FUZZ_CHECK(err->msg[0] != '\0');
}

static void load_manifest(int fd, const struct tender_elf *elf)
{
    struct tender_err err = { { 0 } };
    struct mft *mft = NULL;
    size_t size = 0;
    int rc = tender_mft_load(fd, elf, &mft, &size, &err);

    if (rc < 0) {
        check_err(&err);
        return;
    }
    if (rc == 0)
        return;
    FUZZ_CHECK(tender_mft_validate(mft, size, &err) == 0);
    for (unsigned i = 1; i < mft->entries; i++)
        FUZZ_CHECK(tender_mft_find(mft, mft->e[i].name, mft->e[i].type,
                    NULL) == &mft->e[i]);
    free(mft);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tender_mem mem = {
        .host = guest, .base = 0, .size = GUEST_SIZE,
        .min_load = GUEST_MIN_LOAD,
    };
    struct tender_err err = { { 0 } };
    struct tender_elf elf;
    uint64_t entry = 0, kernel_end = 0;

    file_fd = fuzz_memfd(file_fd, "fuzz_elf", data, size);
    if (tender_elf_read(file_fd, &elf, &err) != 0) {
        check_err(&err);
        return 0;
    }
    if (tender_abi_check(file_fd, &elf, HVT_ABI_TARGET, HVT_ABI_VERSION,
                "hvt", &err) != 0)
        check_err(&err);
    load_manifest(file_fd, &elf);
    if (tender_elf_load(file_fd, &elf, &mem, check_protect, &mem, &entry,
                &kernel_end, &err) == 0) {
        FUZZ_CHECK(entry >= mem.min_load && entry < mem.size);
        FUZZ_CHECK(kernel_end > mem.min_load && kernel_end <= mem.size);
    } else {
        check_err(&err);
    }
    tender_elf_free(&elf);
    return 0;
}
