/*
 * muen_entry_x86_64.S: the subject starts here in 64-bit mode, on the
 * stack the system policy gives it at the top of its memory; that top is
 * the memory size the bindings use (as on hvt, where RSP = mem_size - 8).
 */
    .text
    .global _start
    .type _start, @function
_start:
    cli
    movq %rsp, %rdi
    andq $-16, %rsp
    call muen_start
1:  hlt
    jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
