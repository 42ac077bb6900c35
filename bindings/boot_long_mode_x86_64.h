/*
 * boot_long_mode_x86_64.h: the steps from 32-bit protected mode with paging
 * off to 64-bit long mode that every target entered that way shares
 * (virtio from multiboot, xen from PVH).  Assembly only: constants and
 * macros for a .S file.  The caller fills boot_pd (its identity map of the
 * first 4 GiB, 2 MiB pages, with whatever it needs below them), sets EFER
 * itself (xen adds NX) between BOOT_CR4_CR3 and BOOT_PAGING_ON, and
 * provides boot_stack_top.
 */
#ifndef BOOT_LONG_MODE_X86_64_H
#define BOOT_LONG_MODE_X86_64_H

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PTE_P 0x1
#define PTE_RW 0x2
#define PTE_PS 0x80
#define PAGE_SIZE 4096
#define BOOT_STACK_SIZE 16384
#define GDT_CODE 0x08
#define GDT_DATA 0x10

/* PDPT[0..3] point to the four PDs of boot_pd; PML4[0] to the PDPT. */
.macro BOOT_LINK_TABLES
    xorl %ecx, %ecx
70: movl %ecx, %eax
    shll $12, %eax
    addl $boot_pd, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jb 70b
    movl $boot_pdpt, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pml4
.endm

/* PAE and SSE (for the application; the bindings never use it), and the
 * tables in CR3. */
.macro BOOT_CR4_CR3
    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
.endm

/* Paging on (EFER.LME already set), the boot GDT, and a far jump to the
 * 64-bit code at `target`. */
.macro BOOT_PAGING_ON target
    movl %cr0, %eax
    andl $~(CR0_EM | CR0_TS), %eax
    orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $GDT_CODE, $\target
.endm

/* The flat GDT (read-only data). */
.macro BOOT_GDT
    .section .rodata
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9b000000ffff    /* code: L, P, DPL 0, execute/read, accessed */
    .quad 0x00cf93000000ffff    /* data: G, D/B, P, DPL 0, read/write, accessed */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
.endm

/* The tables (in .bss): PML4, PDPT and four PDs; the caller's own tables
 * and stack follow. */
.macro BOOT_TABLES
    .bss
    .balign PAGE_SIZE
boot_pml4:
    .skip PAGE_SIZE
boot_pdpt:
    .skip PAGE_SIZE
boot_pd:
    .skip 4 * PAGE_SIZE
.endm

#endif /* BOOT_LONG_MODE_X86_64_H */
