/*
 * hvt_traps_aarch64.S: the exception vector table (VBAR_EL1).
 *
 * 16 slots of 0x80 bytes, 2 KiB aligned: for exceptions from the current
 * EL with SP_EL0 (EL1t: the application, see hvt_cpu_aarch64.c), from the
 * current EL with SP_EL1 (EL1h: the trap handler itself, or anything before
 * the bindings switched stacks), from a lower EL in AArch64 and in AArch32;
 * each group Synchronous, IRQ, FIQ, SError.  Every slot makes room for a
 * struct hvt_trap_frame_aarch64 (hvt_cpu_aarch64.c) on SP_EL1, saves x0
 * and x1, puts its slot number in x0 and goes to trap_common, which saves
 * the rest and calls hvt_trap_handler(frame).  Every exception is fatal:
 * interrupts stay masked, the handler never returns.
 */

#define FRAME_SIZE 304
#define FRAME_SP_EL0 248
#define FRAME_PC 256
#define FRAME_PSTATE 264
#define FRAME_ESR 272
#define FRAME_FAR 280
#define FRAME_VECTOR 288

.macro VECTOR index
    .balign 0x80
    sub sp, sp, #FRAME_SIZE
    stp x0, x1, [sp, #0]
    mov x0, #\index
    b trap_common
.endm

    .section .text.hvt_vectors, "ax", %progbits
    .balign 2048
    .global hvt_trap_vectors
hvt_trap_vectors:
    VECTOR 0
    VECTOR 1
    VECTOR 2
    VECTOR 3
    VECTOR 4
    VECTOR 5
    VECTOR 6
    VECTOR 7
    VECTOR 8
    VECTOR 9
    VECTOR 10
    VECTOR 11
    VECTOR 12
    VECTOR 13
    VECTOR 14
    VECTOR 15

trap_common:
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    str x30, [sp, #240]
    mrs x1, sp_el0
    str x1, [sp, #FRAME_SP_EL0]
    mrs x1, elr_el1
    str x1, [sp, #FRAME_PC]
    mrs x1, spsr_el1
    str x1, [sp, #FRAME_PSTATE]
    mrs x1, esr_el1
    str x1, [sp, #FRAME_ESR]
    mrs x1, far_el1
    str x1, [sp, #FRAME_FAR]
    str x0, [sp, #FRAME_VECTOR]
    mov x0, sp
    mov x29, #0                 /* the handler's frame chain ends here */
    bl hvt_trap_handler
1:  b 1b

    .section .note.GNU-stack, "", %progbits
