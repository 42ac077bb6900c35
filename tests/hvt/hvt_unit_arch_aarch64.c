/*
 * hvt_unit_arch_aarch64.c: hvt_unit_check's architecture requests on
 * aarch64, which has neither instruction classes (the FPU diagnosis is
 * kvm-pvm's, on x86_64) nor x86_64's page tables: every "insn" and "pt"
 * request is answered "none".
 */
#include <stdio.h>

void check_insn(const char *hex);
void check_pt(char *rest);

void check_insn(const char *hex)
{
    (void)hex;
    puts("none");
}

void check_pt(char *rest)
{
    (void)rest;
    puts("none");
}
