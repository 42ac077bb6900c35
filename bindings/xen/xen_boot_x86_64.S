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
#define EFER_NXE (1 << 11)
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EXT_EDX_NX (1 << 20)
#define PTE_P 0x1
#define PTE_RW 0x2
#define PTE_PS 0x80
#define PAGE_SIZE 4096
#define BOOT_STACK_SIZE 16384
#define GDT_CODE 0x08
#define GDT_DATA 0x10
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

    /* PDPT[0..3] point to the four PDs; PML4[0] to the PDPT. */
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $boot_pd, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jb 2b
    movl $boot_pdpt, %eax
    orl $(PTE_P | PTE_RW), %eax
    movl %eax, boot_pml4

    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3

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

    movl %cr0, %eax
    andl $~(CR0_EM | CR0_TS), %eax
    orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $GDT_CODE, $long_mode

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
    .balign 16
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
