/*
 * hvt_cpu_x86_64.h: what the x86_64 entry (hvt_entry_x86_64.c) needs of
 * hvt_cpu_x86_64.c: the descriptor tables for the user-start header, and
 * the set-up that remains when the tender starts the vCPU at CPL3.
 */
#ifndef HVT_CPU_X86_64_H_INCLUDED
#define HVT_CPU_X86_64_H_INCLUDED

/* Limits of the GDT (7 entries), the IDT (48 gates) and the TSS (with its
 * I/O permission bitmap); plain numbers for the header's assembly, checked
 * against the tables' sizes in hvt_cpu_x86_64.c. */
#define HVT_CPU_GDT_LIMIT 55
#define HVT_CPU_IDT_LIMIT 767
#define HVT_CPU_TSS_LIMIT 296

/* At CPL3, started there by the tender: the rest of hvt_cpu_init();
 * fsgsbase: the tender set CR4.FSGSBASE (HVT_FEATURE_FSGSBASE). */
void hvt_cpu_init_user(bool fsgsbase);

#endif /* HVT_CPU_X86_64_H_INCLUDED */
