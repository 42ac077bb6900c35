/*
 * tender_abi.c: checking a unikernel's ABI1 note against a tender.
 */
#include <stdlib.h>
#include <string.h>

#include "elf_abi.h"
#include "tender_abi.h"

int tender_abi_check(int fd, const struct tender_elf *elf, uint32_t target,
        uint32_t version, const char *tender, struct tender_err *err)
{
    struct abi1_info info;
    void *desc = NULL;
    size_t size = 0;
    int rc;

    rc = tender_elf_find_note(fd, elf, ABI1_NOTE_TYPE, ABI1_NOTE_ALIGN,
            ABI1_NOTE_MAX_SIZE, &desc, &size, err);
    if (rc < 0) {
        struct tender_err inner = *err;
        return tender_err_set(err, "invalid executable: %s", inner.msg);
    }
    if (rc == 0)
        return tender_err_set(err, "No Solo5 ABI information found in "
                "executable");
    if (size < sizeof(info)) {
        free(desc);
        return tender_err_set(err, "No Solo5 ABI information found in "
                "executable (ABI1 descriptor is %zu bytes, expected %zu)",
                size, sizeof(info));
    }
    memcpy(&info, desc, sizeof(info));
    free(desc);
    if (info.abi_target != target)
        return tender_err_set(err, "Executable is not for the %s target",
                tender);
    if (info.abi_version != version)
        return tender_err_set(err, "Executable requests unsupported ABI "
                "version %u", info.abi_version);
    return 0;
}
