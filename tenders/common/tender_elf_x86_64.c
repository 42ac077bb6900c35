/*
 * tender_elf_x86_64.c: the ELF machine a tender on x86_64 accepts.
 */
#include "tender_elf.h"

int tender_elf_check_machine(const Elf64_Ehdr *ehdr, struct tender_err *err)
{
    if (ehdr->e_machine != EM_X86_64)
        return tender_err_set(err, "built for machine %u, not x86_64 (%u)",
                ehdr->e_machine, EM_X86_64);
    return 0;
}
