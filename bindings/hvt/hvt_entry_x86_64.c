/*
 * hvt_entry_x86_64.c: the two ways into an x86_64 hvt unikernel.
 *
 * _start (the ELF entry point) is a 2-byte `jmp` over the user-start
 * header (include/solo5/hvt_abi.h, struct hvt_user_start), then a call of
 * hvt_start_cpl0(): upstream's tenders, and ours when they offer no user
 * mode, start the vCPU there at CPL0 and the bindings load their GDT, TSS
 * and IDT and drop to CPL3 themselves (hvt_cpu_x86_64.c).  solo5-hvt reads
 * the header instead and starts the vCPU at CPL3 at hvt_start_user() with
 * those tables already loaded: no CPL0 instruction runs at boot, where
 * kvm-pvm emulates each one (~150 us of a start, docs/kvm-pvm.md).
 *
 * The header's magic is hvt_user_start_magic, an absolute symbol that
 * hvt_features.c defines: a build that uses none of the tender's features
 * (tests/hvt/hvt_features_none.c) declares no user start either.
 */
#include "hvt.h"
#include "hvt_cpu_x86_64.h"

#define STR_(x) #x
#define STR(x) STR_(x)

_Static_assert(HVT_USER_START_OFFSET == 8, "_start: jmp, then .balign 8");
_Static_assert(sizeof(struct hvt_user_start) == 48, "_start: the header");

__asm__(
    "    .pushsection .text.hvt_start, \"ax\", @progbits\n"
    "    .balign 16\n"
    "    .globl _start\n"
    "    .type _start, @function\n"
    "_start:\n"
    "    .cfi_startproc\n"
    "    .cfi_undefined rip\n"      /* the outermost frame, for debuggers */
    "    jmp 1f\n"
    "    .balign 8, 0xcc\n"
    "    .quad hvt_user_start_magic\n"
    "    .quad hvt_start_user\n"
    "    .quad hvt_cpu_gdt, hvt_cpu_idt, hvt_cpu_tss\n"
    "    .short " STR(HVT_CPU_GDT_LIMIT) ", " STR(HVT_CPU_IDT_LIMIT) ", "
    STR(HVT_CPU_TSS_LIMIT) ", 0\n"
    "1:  subq $8, %rsp\n"          /* RSP is as if called: keep it so */
    "    call hvt_start_cpl0\n"
    "    .cfi_endproc\n"
    "    .size _start, . - _start\n"
    "    .popsection\n");

/* From _start, at CPL0 (as every guest starts on upstream's tenders). */
void hvt_start_cpl0(struct hvt_boot_info *bi) BINDINGS_NORETURN;
void hvt_start_cpl0(struct hvt_boot_info *bi)
{
    hvt_cpu_init(hvt_features(bi) & HVT_FEATURE_USER_MODE);
    hvt_main(bi);
}

/* From the tender, at CPL3 with our GDT, TSS and IDT loaded. */
void hvt_start_user(struct hvt_boot_info *bi) BINDINGS_NORETURN;
void hvt_start_user(struct hvt_boot_info *bi)
{
    hvt_cpu_init_user(hvt_features(bi) & HVT_FEATURE_FSGSBASE);
    hvt_main(bi);
}
