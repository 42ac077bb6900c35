/*
 * spt_launch_code_x86_64.S: the launch code (see spt_launch.c).
 *
 *   void spt_launch_code(struct spt_launch *block)    never returns
 *
 * Runs from its copy in guest memory, so it must stay position-independent
 * (no absolute or RIP-relative references) and may only use the block.
 * In order: switch to the guest stack, clear the FS and GS bases, unmap
 * everything of the tender, install the filters, reset the x87/SSE/AVX
 * state, zero the block, clear every general register but RSP, RDI (the
 * boot info) and RAX (the entry point, from the ELF), jump.  A failing
 * system call (all of them come before the policy filter is in force)
 * prints the block's message to fd 2 and exits with status 1.
 */
#include "spt_launch.h"
#include "spt_launch_x86_64.h"

#define SYS_WRITE 1
#define SYS_MUNMAP 11
#define SYS_ARCH_PRCTL 158
#define SYS_EXIT_GROUP 231
#define SYS_SECCOMP 317
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define SECCOMP_SET_MODE_FILTER 1

/* A system call whose result must be 0. */
.macro CHECKED_SYSCALL nr
    mov $\nr, %eax
    syscall
    test %rax, %rax
    jnz .Lfail
.endm

/* munmap(block->unmap[i]) unless its length is 0. */
.macro UNMAP i
    mov SPT_LAUNCH_UNMAP + 16 * \i(%rbx), %rdi
    mov SPT_LAUNCH_UNMAP + 16 * \i + 8(%rbx), %rsi
    test %rsi, %rsi
    jz 1f
    CHECKED_SYSCALL SYS_MUNMAP
1:
.endm

/* seccomp(SECCOMP_SET_MODE_FILTER, 0, block->filters[i]) unless NULL. */
.macro FILTER i
    mov SPT_LAUNCH_FILTERS + 8 * \i(%rbx), %rdx
    test %rdx, %rdx
    jz 1f
    mov $SECCOMP_SET_MODE_FILTER, %edi
    xor %esi, %esi
    CHECKED_SYSCALL SYS_SECCOMP
1:
.endm

    .text
    .globl spt_launch_code
    .type spt_launch_code, @function
spt_launch_code:
    mov %rdi, %rbx
    mov SPT_LAUNCH_MEM_TOP(%rbx), %rsp
    sub $8, %rsp                /* SysV: as if entered by a call */
    mov $ARCH_SET_FS, %edi
    xor %esi, %esi
    CHECKED_SYSCALL SYS_ARCH_PRCTL
    mov $ARCH_SET_GS, %edi
    xor %esi, %esi
    CHECKED_SYSCALL SYS_ARCH_PRCTL
    UNMAP 0
    UNMAP 1
    FILTER 0
    FILTER 1

    mov SPT_LAUNCH_ARCH + SPT_LAUNCH_X86_XRSTOR_MASK(%rbx), %rax
    lea SPT_LAUNCH_ARCH + SPT_LAUNCH_X86_XSAVE_AREA(%rbx), %rcx
    test %rax, %rax
    jz 2f
    mov %rax, %rdx
    shr $32, %rdx
    xrstor64 (%rcx)
    jmp 3f
2:  fxrstor64 (%rcx)
3:
    mov SPT_LAUNCH_ENTRY(%rbx), %r12
    mov SPT_LAUNCH_BOOT_INFO(%rbx), %r13
    mov SPT_LAUNCH_WIPE(%rbx), %rdi
    mov SPT_LAUNCH_WIPE + 8(%rbx), %rcx
    xor %eax, %eax
    cld
    rep stosb

    mov %r12, %rax
    mov %r13, %rdi
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    jmp *%rax

.Lfail:
    mov $2, %edi
    mov SPT_LAUNCH_FAIL(%rbx), %rsi
    mov SPT_LAUNCH_FAIL + 8(%rbx), %rdx
    mov $SYS_WRITE, %eax
    syscall
    mov $1, %edi
    mov $SYS_EXIT_GROUP, %eax
    syscall
    ud2
    .size spt_launch_code, . - spt_launch_code

    .globl spt_launch_code_end
spt_launch_code_end:

    .section .note.GNU-stack, "", @progbits
