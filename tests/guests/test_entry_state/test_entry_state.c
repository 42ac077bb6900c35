/*
 * test_entry_state: what a guest finds of its tender when it starts.  Its
 * own entry point records every general register (entry_gprs), and on spt
 * also the SSE registers, MXCSR and the x87 environment (entry_state: on
 * hvt the guest starts at CPL0, where kvm-pvm cannot run SSE or x87
 * instructions; there the vector state is KVM's reset state, which the
 * tender never writes), before the bindings run; then it enters the
 * bindings' _start.  solo5_app_main prints
 *
 *   reg <name> <hex>      every general register that is not zero
 *   xmm<n> <hi> <lo>      every SSE register that is not zero   (spt)
 *   mxcsr <hex>, fcw <hex>, ftw <hex>                           (spt)
 *   secret <address>      each place in guest memory [0x10000, mem_size)
 *                         that holds "SECRET_TOKEN=" (the tests put it in
 *                         the tender's environment), or "secret none"
 *
 * and SUCCESS.  The tests judge the lines: a tender must hand over nothing
 * but the entry ABI (RSP, RDI = boot info, spt's RAX = entry point).
 */
#include "guest.h"

#define SCAN_START 0x10000UL

void _start(void *boot_info) __attribute__((noreturn));

uint64_t entry_regs[16];
uint64_t entry_xmm[32];
uint32_t entry_mxcsr;
uint16_t entry_fenv[14];
uint64_t entry_vector_saved;

/* Saves everything before any instruction of C can change it.  entry_state
 * (spt) falls through into entry_gprs (hvt) with the vector state flagged. */
__asm__(".text\n"
        ".globl entry_state\n"
        ".type entry_state, @function\n"
        "entry_state:\n"
        "    movq $1, entry_vector_saved(%rip)\n"
        ".globl entry_gprs\n"
        ".type entry_gprs, @function\n"
        "entry_gprs:\n"
        "    movq %rax, entry_regs+0(%rip)\n"
        "    movq %rbx, entry_regs+8(%rip)\n"
        "    movq %rcx, entry_regs+16(%rip)\n"
        "    movq %rdx, entry_regs+24(%rip)\n"
        "    movq %rsi, entry_regs+32(%rip)\n"
        "    movq %rdi, entry_regs+40(%rip)\n"
        "    movq %rbp, entry_regs+48(%rip)\n"
        "    movq %rsp, entry_regs+56(%rip)\n"
        "    movq %r8, entry_regs+64(%rip)\n"
        "    movq %r9, entry_regs+72(%rip)\n"
        "    movq %r10, entry_regs+80(%rip)\n"
        "    movq %r11, entry_regs+88(%rip)\n"
        "    movq %r12, entry_regs+96(%rip)\n"
        "    movq %r13, entry_regs+104(%rip)\n"
        "    movq %r14, entry_regs+112(%rip)\n"
        "    movq %r15, entry_regs+120(%rip)\n"
        "    cmpq $0, entry_vector_saved(%rip)\n"
        "    je 1f\n"
        "    movdqu %xmm0, entry_xmm+0(%rip)\n"
        "    movdqu %xmm1, entry_xmm+16(%rip)\n"
        "    movdqu %xmm2, entry_xmm+32(%rip)\n"
        "    movdqu %xmm3, entry_xmm+48(%rip)\n"
        "    movdqu %xmm4, entry_xmm+64(%rip)\n"
        "    movdqu %xmm5, entry_xmm+80(%rip)\n"
        "    movdqu %xmm6, entry_xmm+96(%rip)\n"
        "    movdqu %xmm7, entry_xmm+112(%rip)\n"
        "    movdqu %xmm8, entry_xmm+128(%rip)\n"
        "    movdqu %xmm9, entry_xmm+144(%rip)\n"
        "    movdqu %xmm10, entry_xmm+160(%rip)\n"
        "    movdqu %xmm11, entry_xmm+176(%rip)\n"
        "    movdqu %xmm12, entry_xmm+192(%rip)\n"
        "    movdqu %xmm13, entry_xmm+208(%rip)\n"
        "    movdqu %xmm14, entry_xmm+224(%rip)\n"
        "    movdqu %xmm15, entry_xmm+240(%rip)\n"
        "    stmxcsr entry_mxcsr(%rip)\n"
        "    fnstenv entry_fenv(%rip)\n"
        "    fldenv entry_fenv(%rip)\n"
        "1:  jmp _start\n");

static const char *const REG_NAMES[16] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void put_line(const char *what, uint64_t a, const uint64_t *b)
{
    guest_puts(what);
    guest_puts(" ");
    guest_put_hex(a);
    if (b != NULL) {
        guest_puts(" ");
        guest_put_hex(*b);
    }
    guest_puts("\n");
}

static void put_registers(void)
{
    static const char *const xmm_names[16] = {
        "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
    };

    for (int i = 0; i < 16; i++) {
        if (entry_regs[i] == 0)
            continue;
        guest_puts("reg ");
        put_line(REG_NAMES[i], entry_regs[i], NULL);
    }
    for (int i = 0; i < 16 && entry_vector_saved; i++)
        if (entry_xmm[2 * i] != 0 || entry_xmm[2 * i + 1] != 0)
            put_line(xmm_names[i], entry_xmm[2 * i + 1], &entry_xmm[2 * i]);
    if (!entry_vector_saved)
        return;
    put_line("mxcsr", entry_mxcsr, NULL);
    put_line("fcw", entry_fenv[0], NULL);
    put_line("ftw", entry_fenv[4], NULL);
}

/* The needle is built at run time, so that the guest's own image does not
 * hold it; its copy on the stack is skipped. */
static void scan_memory(uint64_t end)
{
    char needle[16];
    const char *shifted = "TFDSFU`UPLFO>";
    size_t n = strlen(shifted);
    bool found = false;

    for (size_t i = 0; i < n; i++)
        needle[i] = (char)(shifted[i] - 1);
    for (uint64_t p = SCAN_START; p + n <= end; p++) {
        const char *s = (const char *)guest_launder(p);

        if (s == needle || s[0] != needle[0] || memcmp(s, needle, n) != 0)
            continue;
        put_line("secret", p, NULL);
        found = true;
    }
    if (!found)
        guest_puts("secret none\n");
}

int solo5_app_main(const struct solo5_start_info *si)
{
    guest_banner("test_entry_state");
    put_registers();
    scan_memory(si->heap_start + si->heap_size);
    return guest_success();
}
