/*
 * hvt_traps_x86_64.S: interrupt and exception entry stubs.
 *
 * Each stub makes the frame uniform (a 0 error code where the CPU pushes
 * none, then the vector) and jumps to trap_common, which saves every
 * register and CR2 as struct hvt_trap_frame_x86_64 (hvt_abi.h) and calls
 * hvt_trap_handler(frame).  Fatal traps never return; an ignored IRQ
 * returns here and the registers are restored for iretq.
 */

#define TRAP(vector) \
    .global trap_##vector; \
trap_##vector: \
    pushq $0; \
    pushq $vector; \
    jmp trap_common

#define TRAP_EC(vector) \
    .global trap_##vector; \
trap_##vector: \
    pushq $vector; \
    jmp trap_common

    .text

TRAP(0)
TRAP(1)
TRAP(2)
TRAP(3)
TRAP(4)
TRAP(5)
TRAP(7)
TRAP_EC(8)
TRAP_EC(10)
TRAP_EC(11)
TRAP_EC(12)
TRAP_EC(13)
TRAP_EC(14)
TRAP(16)
TRAP_EC(17)
TRAP(18)
TRAP(19)
TRAP(20)
TRAP(32)
TRAP(33)
TRAP(34)
TRAP(35)
TRAP(36)
TRAP(37)
TRAP(38)
TRAP(39)
TRAP(40)
TRAP(41)
TRAP(42)
TRAP(43)
TRAP(44)
TRAP(45)
TRAP(46)
TRAP(47)

/*
 * #UD.  The one at hvt_tls_ud2 is not a fault but hvt_cpu_tls_trap() asking
 * CPL0 to set the TLS base to %rdi (at CPL3 without wrfsbase): wrmsr and
 * return past the ud2, touching nothing else.  Every other #UD is fatal.
 */
    .global trap_6
trap_6:
    pushq %rax
    leaq hvt_tls_ud2(%rip), %rax
    cmpq %rax, 8(%rsp)              /* the faulting rip */
    jne 1f
    pushq %rcx
    pushq %rdx
    movl $0xc0000100, %ecx          /* IA32_FS_BASE */
    movq %rdi, %rax
    movq %rdi, %rdx
    shrq $32, %rdx
    wrmsr
    popq %rdx
    popq %rcx
    popq %rax
    addq $2, (%rsp)                 /* past the ud2 */
    iretq
1:
    popq %rax
    pushq $0
    pushq $6
    jmp trap_common

/* void hvt_cpu_tls_trap(uintptr_t base): see trap_6. */
    .global hvt_cpu_tls_trap
hvt_cpu_tls_trap:
hvt_tls_ud2:
    ud2
    ret

trap_common:
    /* The CPU keeps the direction flag of the code it interrupted, and the
     * handler's memcpy is `rep movsb` (bindings_copy_x86_64.c): an
     * application that faulted between its own `std` and `cld` would have
     * the trap's report copied backwards.  iretq restores the flag. */
    cld
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %cr2, %rax
    pushq %rax

    /* The frame is the argument; call with a 16-byte aligned stack. */
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call hvt_trap_handler
    movq %rbx, %rsp

    addq $8, %rsp           /* cr2 */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp          /* vector, error code */
    iretq

/* The stub of each of the 48 IDT vectors, 0 where there is none. */
    .section .rodata
    .balign 8
    .global hvt_trap_stubs
hvt_trap_stubs:
    .quad trap_0, trap_1, trap_2, trap_3, trap_4, trap_5, trap_6, trap_7
    .quad trap_8, 0, trap_10, trap_11, trap_12, trap_13, trap_14, 0
    .quad trap_16, trap_17, trap_18, trap_19, trap_20, 0, 0, 0
    .quad 0, 0, 0, 0, 0, 0, 0, 0
    .quad trap_32, trap_33, trap_34, trap_35, trap_36, trap_37, trap_38, trap_39
    .quad trap_40, trap_41, trap_42, trap_43, trap_44, trap_45, trap_46, trap_47

    .section .note.GNU-stack, "", @progbits
