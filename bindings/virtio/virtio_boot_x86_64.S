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

    /* PDPT[0..3] point to the four PDs; PML4[0] to the PDPT. */
    xorl %ecx, %ecx
3:  movl %ecx, %eax
    shll $12, %eax
    addl $boot_pd, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jb 3b
    movl $boot_pdpt, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pml4

    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    andl $~(CR0_EM | CR0_TS), %eax
    orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $GDT_CODE, $long_mode

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

    .bss
    .balign PAGE_SIZE
boot_pml4:
    .skip PAGE_SIZE
boot_pdpt:
    .skip PAGE_SIZE
boot_pd:
    .skip 4 * PAGE_SIZE
boot_pt0:
    .skip PAGE_SIZE
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
