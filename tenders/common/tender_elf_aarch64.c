/*
 * tender_elf_aarch64.c: the ELF machine a tender on aarch64 accepts.
 */
#include "tender_elf.h"

int tender_elf_check_machine(const Elf64_Ehdr *ehdr, struct tender_err *err)
{
    if (ehdr->e_machine != EM_AARCH64)
        return tender_err_set(err, "built for machine %u, not aarch64 (%u)",
                ehdr->e_machine, EM_AARCH64);
    return 0;
}
