/*
 * hvt_dumpcore_x86_64.c: the registers of an x86-64 guest core.
 *
 * NT_PRSTATUS carries Linux's prstatus with a user_regs_struct, which is
 * what gdb reads for amd64.  A fatal trap's handler passes its frame
 * (struct hvt_trap_frame_x86_64, hvt_abi.h) as the HALT cookie: every
 * register then is the one at the trap, so `bt` starts at the faulting
 * instruction.  Without a cookie (solo5_abort()) they are the vCPU's at
 * the HALT hypercall, inside the abort path.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>
#include <sys/reg.h>

#include "hvt_debug.h"

uint64_t hvt_dumpcore_cookie(struct hvt *h)
{
    const struct kvm_run *run = h->run;
    struct hvt_hc_halt a;
    struct tender_err ignored;
    const void *p;
    uint32_t gpa;

    if (run->exit_reason != KVM_EXIT_IO ||
            run->io.port != HVT_HYPERCALL_ADDRESS(HVT_HYPERCALL_HALT) ||
            run->io.size != sizeof(gpa) ||
            run->io.data_offset > h->run_size - sizeof(gpa))
        return 0;
    memcpy(&gpa, (const uint8_t *)run + run->io.data_offset, sizeof(gpa));
    p = hvt_gpa(h, gpa, sizeof(a), HVT_READ, &ignored);
    if (p == NULL)
        return 0;
    memcpy(&a, p, sizeof(a));
    return a.cookie;
}

/* The signal a debugger shows for a trap vector. */
static int dumpcore_signal(uint64_t vector)
{
    switch (vector) {
    case 0:                     /* #DE */
    case 16:                    /* #MF */
    case 19:                    /* #XM */
        return SIGFPE;
    case 1:                     /* #DB */
    case 3:                     /* #BP */
        return SIGTRAP;
    case 6:                     /* #UD */
        return SIGILL;
    case 17:                    /* #AC */
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}

int hvt_dumpcore_prstatus(struct hvt *h, uint64_t cookie,
        struct elf_prstatus *ps, struct tender_err *err)
{
    struct hvt_trap_frame_x86_64 tf;
    struct kvm_regs r;
    struct kvm_sregs s;
    unsigned long long *g = (unsigned long long *)ps->pr_reg;
    const void *p = NULL;
    struct tender_err ignored;

    if (ioctl(h->vcpu_fd, KVM_GET_REGS, &r) != 0 ||
            ioctl(h->vcpu_fd, KVM_GET_SREGS, &s) != 0)
        return tender_err_set(err, "dumpcore: reading the vCPU: %s",
                strerror(errno));
    if (cookie != 0)
        p = hvt_gpa(h, cookie, sizeof(tf), HVT_READ, &ignored);
    ps->pr_cursig = SIGABRT;
    ps->pr_info.si_signo = SIGABRT;
    if (p != NULL) {
        memcpy(&tf, p, sizeof(tf));
        r.rax = tf.rax, r.rbx = tf.rbx, r.rcx = tf.rcx, r.rdx = tf.rdx;
        r.rsi = tf.rsi, r.rdi = tf.rdi, r.rbp = tf.rbp, r.rsp = tf.rsp;
        r.r8 = tf.r8, r.r9 = tf.r9, r.r10 = tf.r10, r.r11 = tf.r11;
        r.r12 = tf.r12, r.r13 = tf.r13, r.r14 = tf.r14, r.r15 = tf.r15;
        r.rip = tf.rip, r.rflags = tf.rflags;
        s.cs.selector = (uint16_t)tf.cs;
        s.ss.selector = (uint16_t)tf.ss;
        ps->pr_cursig = (short)dumpcore_signal(tf.vector);
        ps->pr_info.si_signo = ps->pr_cursig;
    }
    g[R15] = r.r15, g[R14] = r.r14, g[R13] = r.r13, g[R12] = r.r12;
    g[RBP] = r.rbp, g[RBX] = r.rbx, g[R11] = r.r11, g[R10] = r.r10;
    g[R9] = r.r9, g[R8] = r.r8, g[RAX] = r.rax, g[RCX] = r.rcx;
    g[RDX] = r.rdx, g[RSI] = r.rsi, g[RDI] = r.rdi, g[ORIG_RAX] = ~0ULL;
    g[RIP] = r.rip, g[CS] = s.cs.selector, g[EFLAGS] = r.rflags;
    g[RSP] = r.rsp, g[SS] = s.ss.selector;
    g[FS_BASE] = s.fs.base, g[GS_BASE] = s.gs.base;
    g[DS] = s.ds.selector, g[ES] = s.es.selector;
    g[FS] = s.fs.selector, g[GS] = s.gs.selector;
    return 0;
}
