/*
 * kvm_wx_probe: what does this host's KVM do when a guest breaks the host's
 * page protections (hvt's W^X: ELF segments are mprotect()ed on the host,
 * ref 2.3)?
 *
 * Every case builds a fresh long-mode VM (hvt's layout, 4 MiB), fills the
 * target page at GPA 0x180000 with 0xaa, sets its host protection, runs the
 * code at 0x100000 and reports every exit, re-running the vCPU after each one
 * (up to 3 times) to show what a tender that retried would see. Finally it
 * prints RBX (the guest's read-back) and the first word of the target page.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "bench_kvm.h"

#define WX_MEM    (4UL << 20)
#define WX_TARGET 0x180000UL
#define WX_ROUNDS 3

struct wx_case {
    const char *name;
    int prot;               /* host protection of the target page */
    uint8_t len;
    uint8_t code[24];
};

/* b8 00 00 18 00     mov $0x180000,%eax
 * c7 00 78 56 34 12  movl $0x12345678,(%rax)
 * 8b 18              mov (%rax),%ebx
 * ff e0              jmp *%rax
 * f4                 hlt */
#define WX_MOV 0xb8, 0x00, 0x00, 0x18, 0x00
#define WX_STORE 0xc7, 0x00, 0x78, 0x56, 0x34, 0x12
#define WX_LOAD 0x8b, 0x18
#define WX_JMP 0xff, 0xe0

static const struct wx_case wx_cases[] = {
    { "write to host PROT_READ", PROT_READ, 14,
      { WX_MOV, WX_STORE, WX_LOAD, 0xf4 } },
    { "read of host PROT_READ", PROT_READ, 8, { WX_MOV, WX_LOAD, 0xf4 } },
    { "exec from host PROT_READ", PROT_READ, 7, { WX_MOV, WX_JMP } },
    { "read of host PROT_NONE", PROT_NONE, 8, { WX_MOV, WX_LOAD, 0xf4 } },
    { "write to host PROT_NONE", PROT_NONE, 14,
      { WX_MOV, WX_STORE, WX_LOAD, 0xf4 } },
    { "exec from host PROT_NONE", PROT_NONE, 7, { WX_MOV, WX_JMP } },
    { "write at 0x500000 > mem_size (not in guest page tables)",
      PROT_READ | PROT_WRITE, 14,
      { 0xb8, 0x00, 0x00, 0x50, 0x00, WX_STORE, WX_LOAD, 0xf4 } },
};

static void wx_print_exit(struct bench_vm *v, int round, int rc)
{
    struct kvm_regs regs;
    unsigned long long rip = 0;

    if (ioctl(v->vcpu, KVM_GET_REGS, &regs) == 0)
        rip = regs.rip;
    printf("    run %d: ", round);
    if (rc < 0) {
        printf("KVM_RUN failed: %s (errno %d) rip=0x%llx\n", strerror(-rc),
               -rc, rip);
        return;
    }
    printf("exit %s(%d) rip=0x%llx", bench_exit_name((uint32_t)rc), rc, rip);
    if (rc == KVM_EXIT_MMIO) {
        uint32_t data;
        memcpy(&data, v->run->mmio.data, sizeof(data));
        printf(" mmio.phys_addr=0x%llx is_write=%u len=%u data=0x%x",
               (unsigned long long)v->run->mmio.phys_addr,
               v->run->mmio.is_write, v->run->mmio.len, data);
    } else if (rc == KVM_EXIT_INTERNAL_ERROR) {
        printf(" suberror=%u", v->run->internal.suberror);
    }
    printf("\n");
}

static int wx_one(const struct wx_case *c)
{
    struct bench_vm v;
    struct kvm_regs regs;
    int rc = 0;

    bench_init(&v);
    if (bench_open(&v) < 0 ||
        bench_add_memory(&v, WX_MEM, MAP_SHARED, -1) < 0 ||
        bench_create_vcpu(&v) < 0 || bench_set_cpuid(&v) < 0) {
        perror("kvm_wx_probe: VM set-up");
        bench_close(&v);
        return -1;
    }
    bench_write_pagetables(&v);
    memcpy(v.mem + BENCH_ENTRY, c->code, c->len);
    memset(v.mem + WX_TARGET, 0xaa, 0x1000);
    v.mem[WX_TARGET] = 0xf4;            /* hlt, for the exec cases */
    if (bench_setup_long(&v, BENCH_ENTRY, BENCH_HVT_CR0, BENCH_HVT_CR4, 0) < 0 ||
        mprotect(v.mem + WX_TARGET, 0x1000, c->prot) != 0) {
        perror("kvm_wx_probe: vCPU/mprotect");
        bench_close(&v);
        return -1;
    }

    printf("%s:\n", c->name);
    for (int round = 1; round <= WX_ROUNDS; round++) {
        rc = bench_run(&v);
        wx_print_exit(&v, round, rc);
        if (rc == KVM_EXIT_HLT || rc == KVM_EXIT_SHUTDOWN ||
            rc == KVM_EXIT_INTERNAL_ERROR)
            break;
    }
    mprotect(v.mem + WX_TARGET, 0x1000, PROT_READ);
    if (ioctl(v.vcpu, KVM_GET_REGS, &regs) == 0)
        printf("    after: rbx=0x%llx, target word=0x%08x\n",
               (unsigned long long)regs.rbx, *(uint32_t *)(v.mem + WX_TARGET));
    bench_close(&v);
    return 0;
}

int main(void)
{
    struct bench_vm v;

    bench_init(&v);
    if (bench_open(&v) < 0) {
        perror("kvm_wx_probe: /dev/kvm");
        return 1;
    }
    printf("KVM_CAP_READONLY_MEM=%d KVM_CAP_USER_MEMORY=%d\n",
           ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM),
           ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
    bench_close(&v);
    for (size_t i = 0; i < sizeof(wx_cases) / sizeof(wx_cases[0]); i++)
        if (wx_one(&wx_cases[i]) < 0)
            return 1;
    return 0;
}
