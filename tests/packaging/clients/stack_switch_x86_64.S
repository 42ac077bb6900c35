/*
 * stack_switch_x86_64.S: setjmp/longjmp-style context switching, the way
 * language runtimes (OCaml 5 fibers, coroutine libraries, nolibc's setjmp)
 * do it in assembly, assembled with `x86_64-solo5-none-static-cc -c`.
 *
 *   long ctx_save(struct ctx *c);            returns 0, or the value passed
 *                                            to ctx_jump() later
 *   void ctx_jump(struct ctx *c, long v);    resumes c's ctx_save() with v
 *   void ctx_start(void *stack_top, void (*fn)(void));
 *                                            runs fn on another stack (fn
 *                                            must leave with ctx_jump())
 *
 * struct ctx: rbx, rbp, r12, r13, r14, r15, rsp, rip (8 bytes each).
 */
#define CTX_RBX 0
#define CTX_RBP 8
#define CTX_R12 16
#define CTX_R13 24
#define CTX_R14 32
#define CTX_R15 40
#define CTX_RSP 48
#define CTX_RIP 56

    .text
    .globl ctx_save
    .type ctx_save, @function
ctx_save:
    movq %rbx, CTX_RBX(%rdi)
    movq %rbp, CTX_RBP(%rdi)
    movq %r12, CTX_R12(%rdi)
    movq %r13, CTX_R13(%rdi)
    movq %r14, CTX_R14(%rdi)
    movq %r15, CTX_R15(%rdi)
    leaq 8(%rsp), %rdx          /* the caller's rsp after our return */
    movq %rdx, CTX_RSP(%rdi)
    movq (%rsp), %rdx           /* our return address */
    movq %rdx, CTX_RIP(%rdi)
    xorl %eax, %eax
    ret
    .size ctx_save, . - ctx_save

    .globl ctx_jump
    .type ctx_jump, @function
ctx_jump:
    movq %rsi, %rax
    movq CTX_RBX(%rdi), %rbx
    movq CTX_RBP(%rdi), %rbp
    movq CTX_R12(%rdi), %r12
    movq CTX_R13(%rdi), %r13
    movq CTX_R14(%rdi), %r14
    movq CTX_R15(%rdi), %r15
    movq CTX_RSP(%rdi), %rsp
    jmpq *CTX_RIP(%rdi)
    .size ctx_jump, . - ctx_jump

    .globl ctx_start
    .type ctx_start, @function
ctx_start:
    andq $-16, %rdi             /* the ABI's 16-byte alignment at a call */
    movq %rdi, %rsp
    xorl %ebp, %ebp
    callq *%rsi
    ud2                         /* fn returned: it must ctx_jump() instead */
    .size ctx_start, . - ctx_start

    .section .note.GNU-stack, "", @progbits
