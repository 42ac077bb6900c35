/*
 * kvm_guestdbg_probe: what KVM_SET_GUEST_DEBUG does on this host, at guest
 * CPL0 and CPL3 (the facts behind docs/debugging.md's "On kvm-pvm").
 *
 *   cc -O2 -D_GNU_SOURCE -I bench -o /tmp/kvm_guestdbg_probe \
 *       tests/debug/probe/kvm_guestdbg_probe.c bench/bench_kvm.c
 *   /tmp/kvm_guestdbg_probe
 *
 * A 4 MiB long-mode VM as hvt sets it up (bench/bench_kvm.c) runs
 *   0x100000 nop; nop; nop; int3 (or nop); nop
 *   0x100005 movl $1, 0x180000
 *   0x100010 nop
 *   0x100011 mov $0x500, %dx; out %eax, (%dx); hlt
 * with, in turn: no debugging, KVM_GUESTDBG_USE_SW_BP (with the int3),
 * SINGLESTEP, a DR0 execution breakpoint at 0x100010, and a DR0 write
 * watchpoint on 0x180000; and prints every exit.  At CPL3 the `out` is a
 * #GP and, with no IDT, a SHUTDOWN at 0x100015: that is the normal end
 * there; an earlier SHUTDOWN means an exception went to the guest.  Not
 * built by SCons: a probe, kept so that the measurement can be repeated.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include "bench_kvm.h"

static const unsigned char code[] = {
    0x90, 0x90, 0x90,             /* 0x100000..2 */
    0xcc,                         /* 0x100003 int3 */
    0x90,                         /* 0x100004 */
    0xc7, 0x04, 0x25, 0x00, 0x00, 0x18, 0x00, 0x01, 0x00, 0x00, 0x00, /* 0x100005 movl $1,0x180000 */
    0x90,                         /* 0x100010 */
};

static int run_case(const char *name, int user, unsigned ctl, uint64_t dr0,
    uint64_t dr7)
{
    struct bench_vm v;
    int rc;
    bench_init(&v);
    if ((rc = bench_open(&v)) || (rc = bench_add_memory(&v, 4 << 20, MAP_PRIVATE, -1)) ||
        (rc = bench_create_vcpu(&v))) { printf("setup %d\n", rc); return 1; }
    bench_write_pagetables(&v);
    if (user) bench_set_user_pages(&v);
    bench_set_cpuid(&v);
    memcpy(v.mem + 0x100000, code, sizeof(code));
    if (!(ctl & KVM_GUESTDBG_USE_SW_BP)) v.mem[0x100003] = 0x90;
    unsigned char tail[] = { 0x66, 0xba, 0x00, 0x05, 0xef, 0xf4 };
    memcpy(v.mem + 0x100011, tail, sizeof(tail));
    bench_setup_long(&v, 0x100000, BENCH_HVT_CR0, BENCH_HVT_CR4, user ? BENCH_LONG_USER : 0);
    struct kvm_guest_debug dbg = { .control = ctl };
    dbg.arch.debugreg[0] = dr0;
    dbg.arch.debugreg[7] = dr7;
    if (ctl && ioctl(v.vcpu, KVM_SET_GUEST_DEBUG, &dbg) != 0)
        printf("%s: SET_GUEST_DEBUG: %s\n", name, strerror(errno));
    printf("%s:", name);
    for (int i = 0; i < 30; i++) {
        int r = bench_run(&v);
        struct kvm_regs regs;
        ioctl(v.vcpu, KVM_GET_REGS, &regs);
        if (r < 0) { printf(" err(%s)@%llx", strerror(-r), regs.rip); break; }
        if (r == KVM_EXIT_DEBUG) {
            printf(" DEBUG(exc=%u pc=%llx dr6=%llx rip=%llx)", v.run->debug.arch.exception,
                (unsigned long long)v.run->debug.arch.pc, (unsigned long long)v.run->debug.arch.dr6, regs.rip);
            if (v.run->debug.arch.exception == 3 && regs.rip == 0x100003) {
                /* skip the int3 like a debugger would after restoring: replace by nop */
                v.mem[0x100003] = 0x90;
            }
            continue;
        }
        printf(" %s@%llx", bench_exit_name(r), regs.rip);
        if (r == KVM_EXIT_IO) { continue; }
        break;
    }
    printf("\n");
    bench_close(&v);
    return 0;
}

int main(void)
{
    for (int user = 0; user < 2; user++) {
        char n[64];
        snprintf(n, sizeof n, "%s none", user ? "cpl3" : "cpl0");
        run_case(n, user, 0, 0, 0);
        snprintf(n, sizeof n, "%s swbp", user ? "cpl3" : "cpl0");
        run_case(n, user, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, 0, 0);
        snprintf(n, sizeof n, "%s step", user ? "cpl3" : "cpl0");
        run_case(n, user, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, 0, 0);
        snprintf(n, sizeof n, "%s hwbp", user ? "cpl3" : "cpl0");
        run_case(n, user, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, 0x100010, 0x1 | 0x400);
        snprintf(n, sizeof n, "%s watch", user ? "cpl3" : "cpl0");
        /* RW=01 write, LEN=11 (4 bytes) for DR0: bits 16-19 = 0b1101 */
        run_case(n, user, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, 0x180000, 0x1 | 0x400 | (0xdULL << 16));
    }
    return 0;
}
