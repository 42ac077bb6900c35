/*
 * virtio_boot_x86_64.S: from the multiboot loader's 32-bit protected mode
 * to C in long mode.
 *
 * The loader jumps to _start (the header's entry_addr, written by the
 * linker script) with paging off, EAX = the multiboot magic and EBX = the
 * physical address of the boot information.  No stack is given.  We build
 * identity-mapped page tables for the first 4 GiB (4 KiB pages for the
 * first 2 MiB, so that page 0 stays unmapped and NULL accesses fault like
 * on hvt; 2 MiB pages above), enable PAE, long mode and paging, enable
 * SSE for applications (the bindings themselves never use it), and call
 * virtio_entry(magic, mbi) on a static boot stack.
 */

#include "../boot_long_mode_x86_64.h"

    .text
    .code32
    .global _start
    .type _start, @function
_start:
    cli
    cld
    movl $boot_stack_top, %esp
    movl %eax, %edi             /* first and second C arguments later */
    movl %ebx, %esi

    /* PT0: 4 KiB pages for [0, 2 MiB), page 0 not present. */
    movl $1, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pt0(, %ecx, 8)
    incl %ecx
    cmpl $512, %ecx
    jb 1b

    /* PD0..PD3: 2 MiB pages for [2 MiB, 4 GiB); PD0[0] is PT0. */
    movl $1, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_RW | PTE_PS), %eax
    movl %eax, boot_pd(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 2b
    movl $boot_pt0, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pd

    BOOT_LINK_TABLES

    BOOT_CR4_CR3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr

    BOOT_PAGING_ON long_mode

    .code64
long_mode:
    movl $GDT_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movq $boot_stack_top, %rsp
    /* The upper halves are undefined after the mode switch. */
    movl %edi, %edi
    movl %esi, %esi
    fninit
    call virtio_entry
4:  cli
    hlt
    jmp 4b
    .size _start, . - _start

    BOOT_GDT

    BOOT_TABLES
boot_pt0:
    .skip PAGE_SIZE
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
