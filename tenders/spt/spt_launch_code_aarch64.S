/*
 * spt_launch_code_aarch64.S: the launch code (see spt_launch.c).
 *
 *   void spt_launch_code(struct spt_launch *block)    never returns
 *
 * Runs from its copy in guest memory, so it must stay position-independent
 * (no literal pools or absolute references) and may only use the block.
 * In order: switch to the guest stack (mem_top - 16, as upstream), clear
 * TPIDR_EL0 (glibc's thread pointer), unmap everything of the tender,
 * install the filters, reset the FP/SIMD state, zero the block, clear
 * every general register but SP, x0 (the boot info) and x16 (the entry
 * point, from the ELF; a `br`, so x30 = 0 and a return faults), jump.  A
 * failing system call (all of them come before the policy filter is in
 * force) prints the block's message to fd 2 and exits with status 1.
 */
#include "spt_launch.h"

#define SYS_WRITE 64
#define SYS_EXIT_GROUP 94
#define SYS_MUNMAP 215
#define SYS_SECCOMP 277
#define SECCOMP_SET_MODE_FILTER 1

/* A system call whose result must be 0. */
.macro CHECKED_SYSCALL nr
    mov x8, #\nr
    svc #0
    cbnz x0, .Lfail
.endm

/* munmap(block->unmap[i]) unless its length is 0. */
.macro UNMAP i
    ldp x0, x1, [x19, #(SPT_LAUNCH_UNMAP + 16 * \i)]
    cbz x1, 1f
    CHECKED_SYSCALL SYS_MUNMAP
1:
.endm

/* seccomp(SECCOMP_SET_MODE_FILTER, 0, block->filters[i]) unless NULL. */
.macro FILTER i
    ldr x2, [x19, #(SPT_LAUNCH_FILTERS + 8 * \i)]
    cbz x2, 1f
    mov x0, #SECCOMP_SET_MODE_FILTER
    mov x1, #0
    CHECKED_SYSCALL SYS_SECCOMP
1:
.endm

    .text
    .globl spt_launch_code
    .type spt_launch_code, %function
spt_launch_code:
    mov x19, x0
    ldr x1, [x19, #SPT_LAUNCH_MEM_TOP]
    sub sp, x1, #16
    msr tpidr_el0, xzr
    UNMAP 0
    UNMAP 1
    FILTER 0
    FILTER 1

    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    movi v\n\().2d, #0
    .endr
    msr fpcr, xzr
    msr fpsr, xzr

    ldr x16, [x19, #SPT_LAUNCH_ENTRY]
    ldr x20, [x19, #SPT_LAUNCH_BOOT_INFO]
    ldp x0, x1, [x19, #SPT_LAUNCH_WIPE]
2:  cbz x1, 3f
    strb wzr, [x0], #1
    sub x1, x1, #1
    b 2b
3:
    mov x0, x20
    .irp r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
    mov x\r, xzr
    .endr
    br x16

.Lfail:
    mov x0, #2
    ldp x1, x2, [x19, #SPT_LAUNCH_FAIL]
    mov x8, #SYS_WRITE
    svc #0
    mov x0, #1
    mov x8, #SYS_EXIT_GROUP
    svc #0
    udf #0
    .size spt_launch_code, . - spt_launch_code

    .globl spt_launch_code_end
spt_launch_code_end:

    .section .note.GNU-stack, "", %progbits
