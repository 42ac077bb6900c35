/*
 * spt_launch_x86_64.S: enter the guest.
 *
 *   void spt_launch(uint64_t mem_top, uint64_t entry, uint64_t boot_info)
 *
 * Runs with the seccomp filter already installed, so it must make no
 * system call.  Sets RSP = mem_top - 8 (the SysV alignment of a function
 * entered by `call`), RDI = the boot info, clears the other
 * general registers (no tender pointer left in them; spt shares one
 * address space with the tender anyway, and the FS base and the vector
 * registers are left as they are: the guest sets its own TLS base), and
 * jumps to the entry point.
 */
    .text
    .globl spt_launch
    .type spt_launch, @function
spt_launch:
    lea -8(%rdi), %rsp
    mov %rsi, %rax
    mov %rdx, %rdi
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
    .size spt_launch, . - spt_launch

    .section .note.GNU-stack, "", @progbits
