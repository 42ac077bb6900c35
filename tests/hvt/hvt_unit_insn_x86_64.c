/*
 * hvt_unit_insn_x86_64.c: hvt_unit_check's "insn" request on x86_64:
 * hvt_insn_is_fpu() on the hex bytes (tenders/hvt/hvt_insn_x86_64.c).
 */
#include <stdio.h>

#include "hvt.h"

void check_insn(const char *hex);

void check_insn(const char *hex)
{
    uint8_t insn[16];
    size_t n = 0;
    unsigned b;

    while (n < sizeof(insn) && sscanf(hex + 2 * n, "%2x", &b) == 1)
        insn[n++] = (uint8_t)b;
    puts(hvt_insn_is_fpu(insn, n) ? "fpu" : "other");
}
