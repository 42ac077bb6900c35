/*
 * xen_boot_x86_64.S: from Xen's PVH entry to C in long mode.
 *
 * Xen starts the domain at _start32 (the PHYS32_ENTRY note) in 32-bit flat
 * protected mode with paging off, EBX = the physical address of struct
 * hvm_start_info, and no stack (Xen's PVH ABI).  We identity-map the first
 * 4 GiB with 2 MiB pages (enough to read the start info wherever Xen put
 * it; xen_pagetable.c replaces these tables with the final ones), enable
 * PAE, long mode, NX where the CPU has it, paging and SSE (for the
 * application; the bindings are built -mno-sse), and call _start(start
 * info) on a static boot stack.  Anything but a PVH start (another loader)
 * stops here.
 */

#include "../boot_long_mode_x86_64.h"

#define EFER_NXE (1 << 11)
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EXT_EDX_NX (1 << 20)
#define XEN_HVM_START_MAGIC 0x336ec578
#define MXCSR_DEFAULT 0x1f80

    .text
    .code32
    .global _start32
    .type _start32, @function
_start32:
    cli
    cld
    movl $boot_stack_top, %esp
    cmpl $XEN_HVM_START_MAGIC, (%ebx)
    jne 9f
    movl %ebx, %esi             /* the first C argument, later */

    /* PD0..PD3: 2048 2 MiB pages for [0, 4 GiB). */
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_RW | PTE_PS), %eax
    movl %eax, boot_pd(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 1b

    BOOT_LINK_TABLES

    BOOT_CR4_CR3

    /* EFER.NXE only if the CPU has NX (setting it otherwise faults). */
    movl $CPUID_EXT_FEATURES, %eax
    cpuid
    xorl %edi, %edi
    testl $CPUID_EXT_EDX_NX, %edx
    jz 3f
    movl $EFER_NXE, %edi
3:  movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    orl %edi, %eax
    wrmsr

    BOOT_PAGING_ON long_mode

9:  cli
    hlt
    jmp 9b
    .size _start32, . - _start32

    .code64
long_mode:
    movl $GDT_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movq $boot_stack_top, %rsp
    movl %esi, %edi             /* zero-extends: the start info address */
    fninit
    pushq $MXCSR_DEFAULT
    ldmxcsr (%rsp)
    popq %rax
    call _start
4:  cli
    hlt
    jmp 4b

    BOOT_GDT

    BOOT_TABLES
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
