/*
 * tender_abi.h: checking a unikernel's ABI1 note against a tender.
 */
#ifndef TENDER_ABI_H
#define TENDER_ABI_H

#include <stdint.h>

#include "tender_elf.h"
#include "tender_err.h"

/*
 * Succeeds if the executable's ABI1 note names `target` and exactly
 * `version`.  Messages are the ones users and tools match on:
 *   Executable is not for the <tender> target
 *   Executable requests unsupported ABI version N
 *   No Solo5 ABI information found in executable
 * (or a note format problem, prefixed "invalid executable: ").
 */
int tender_abi_check(int fd, const struct tender_elf *elf, uint32_t target,
        uint32_t version, const char *tender, struct tender_err *err);

#endif /* TENDER_ABI_H */
