/*
 * hvt_unit_insn_aarch64.c: hvt_unit_check's "insn" request on aarch64,
 * which has no instruction classes (the FPU diagnosis is kvm-pvm's, on
 * x86_64): every request is answered "none".
 */
#include <stdio.h>

void check_insn(const char *hex);

void check_insn(const char *hex)
{
    (void)hex;
    puts("none");
}
