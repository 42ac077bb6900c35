/*
 * kvm_fpu_probe: can a guest on this host's KVM execute x87/SSE/MMX?
 *
 * For every vCPU set-up variant and every probe instruction, a fresh VM runs
 *     [mov $0x200000,%eax]  <instruction>  hlt            (CPL0 variants)
 *     [mov $0x200000,%eax]  <instruction>  syscall        (CPL3 variants)
 * (the syscall enters CPL0 at a `hlt`; `out` cannot be used at CPL3 here: it
 * raises #GP on kvm-pvm even with IOPL=3) and one line says how it ended:
 * "ok" when the final HLT was reached (and, for the instructions that store
 * a known value, that value is in guest memory),
 * otherwise the exit reason, the internal-error suberror and data words, and
 * RIP with the instruction bytes read back from guest memory (what a tender
 * can print). Exit status: 0 when every probe ran (whatever the outcome).
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "bench_kvm.h"

#define PROBE_MEM      (4UL << 20)
#define PROBE_DATA     0x200000UL  /* 16-byte aligned scratch for mem operands */
#define PROBE_SYSCALL_HLT (BENCH_ENTRY + 0x1000) /* a supervisor page */
#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_FMASK  0xc0000084
#define EFER_SCE   0x1

enum {
    PROBE_CPUID = 1 << 0,   /* KVM_SET_CPUID2 from KVM_GET_SUPPORTED_CPUID */
    PROBE_FPU = 1 << 1,     /* KVM_SET_FPU: fcw 0x37f, mxcsr 0x1f80 */
    PROBE_XSAVE = 1 << 2,   /* KVM_SET_XSAVE: same, xstate_bv = x87|SSE */
    PROBE_XCR0 = 1 << 3,    /* KVM_SET_XCRS: XCR0 = x87|SSE */
    PROBE_USER = 1 << 4,    /* start at CPL3 */
};

struct probe_variant {
    const char *name;
    uint64_t cr0;
    uint64_t cr4;
    unsigned flags;
};

struct probe_insn {
    const char *name;
    int needs_rax;          /* memory operand at PROBE_DATA */
    uint8_t len;
    uint8_t bytes[8];
    uint64_t expect;        /* if non-zero: the value stored at PROBE_DATA */
};

#define CR0_MP (BENCH_HVT_CR0 | BENCH_CR0_MP)
#define CR4_XS (BENCH_HVT_CR4 | BENCH_CR4_OSXSAVE)
#define ALL_STATE (PROBE_CPUID | PROBE_FPU | PROBE_XSAVE | PROBE_XCR0)

static const struct probe_variant probe_variants[] = {
    { "hvt", BENCH_HVT_CR0, BENCH_HVT_CR4, PROBE_CPUID },
    { "hvt-nocpuid", BENCH_HVT_CR0, BENCH_HVT_CR4, 0 },
    { "mp", CR0_MP, BENCH_HVT_CR4, PROBE_CPUID },
    { "mp+setfpu", CR0_MP, BENCH_HVT_CR4, PROBE_CPUID | PROBE_FPU },
    { "mp+setxsave", CR0_MP, BENCH_HVT_CR4, PROBE_CPUID | PROBE_XSAVE },
    { "mp+osxsave+xcr0", CR0_MP, CR4_XS, PROBE_CPUID | PROBE_XCR0 },
    { "all", CR0_MP, CR4_XS, ALL_STATE },
    { "cpl3", BENCH_HVT_CR0, BENCH_HVT_CR4, PROBE_CPUID | PROBE_USER },
    { "cpl3+all", CR0_MP, CR4_XS, ALL_STATE | PROBE_USER },
};

static const struct probe_insn probe_insns[] = {
    { "nop", 0, 1, { 0x90 }, 0 },
    { "xorps %xmm0,%xmm0", 0, 3, { 0x0f, 0x57, 0xc0 }, 0 },
    { "movaps %xmm0,%xmm1", 0, 3, { 0x0f, 0x28, 0xc8 }, 0 },
    { "movaps (%rax),%xmm0", 1, 3, { 0x0f, 0x28, 0x00 }, 0 },
    { "fldz", 0, 2, { 0xd9, 0xee }, 0 },
    { "fninit", 0, 2, { 0xdb, 0xe3 }, 0 },
    { "fxsave (%rax)", 1, 3, { 0x0f, 0xae, 0x00 }, 0 },
    { "stmxcsr (%rax)", 1, 3, { 0x0f, 0xae, 0x18 }, 0 },
    { "pxor %mm0,%mm0", 0, 3, { 0x0f, 0xef, 0xc0 }, 0 },
    { "emms", 0, 2, { 0x0f, 0x77 }, 0 },
    { "xor %ecx,%ecx; xgetbv", 0, 5, { 0x31, 0xc9, 0x0f, 0x01, 0xd0 }, 0 },
    { "fld1; fstpl (%rax)", 1, 4, { 0xd9, 0xe8, 0xdd, 0x18 },
      0x3ff0000000000000ULL },
    { "pcmpeqd; movdqu ->mem", 1, 8,
      { 0x66, 0x0f, 0x76, 0xc0, 0xf3, 0x0f, 0x7f, 0x00 },
      0xffffffffffffffffULL },
};

static int probe_set_fpu_state(struct bench_vm *v, unsigned flags)
{
    if (flags & PROBE_FPU) {
        struct kvm_fpu fpu;
        memset(&fpu, 0, sizeof(fpu));
        fpu.fcw = 0x37f;
        fpu.mxcsr = 0x1f80;
        if (ioctl(v->vcpu, KVM_SET_FPU, &fpu) != 0)
            return -1;
    }
    if (flags & PROBE_XSAVE) {
        struct kvm_xsave xs;
        if (ioctl(v->vcpu, KVM_GET_XSAVE, &xs) != 0)
            return -1;
        memset(&xs, 0, sizeof(xs));
        xs.region[0] = 0x37f;       /* fcw; fsw = 0 */
        xs.region[6] = 0x1f80;      /* mxcsr at byte 24 */
        xs.region[7] = 0xffff;      /* mxcsr_mask at byte 28 */
        xs.region[128] = 0x3;       /* xstate_bv at byte 512: x87|SSE */
        if (ioctl(v->vcpu, KVM_SET_XSAVE, &xs) != 0)
            return -1;
    }
    if (flags & PROBE_XCR0) {
        struct kvm_xcrs xcrs;
        memset(&xcrs, 0, sizeof(xcrs));
        xcrs.nr_xcrs = 1;
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = 0x3;
        if (ioctl(v->vcpu, KVM_SET_XCRS, &xcrs) != 0)
            return -1;
    }
    return 0;
}

/* CPL3 variants leave through syscall to a CPL0 hlt. */
static int probe_enable_syscall(struct bench_vm *v)
{
    struct kvm_sregs sregs;
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[3];
    } msrs = {
        .hdr.nmsrs = 3,
        .e = {
            { .index = MSR_STAR, .data = 0x08ULL << 32 },
            { .index = MSR_LSTAR, .data = PROBE_SYSCALL_HLT },
            { .index = MSR_FMASK, .data = 0 },
        },
    };

    if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) != 0)
        return -1;
    sregs.efer |= EFER_SCE;
    if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) != 0)
        return -1;
    if (ioctl(v->vcpu, KVM_SET_MSRS, &msrs) != 3)
        return -1;
    return 0;
}

static void probe_report_failure(struct bench_vm *v,
                                 const struct probe_insn *pi, int reason)
{
    struct kvm_run *run = v->run;
    struct kvm_regs regs;

    printf("%s(%d)", bench_exit_name((uint32_t)reason), reason);
    if (reason == KVM_EXIT_INTERNAL_ERROR) {
        printf(" suberror=%u ndata=%u data=[", run->internal.suberror,
               run->internal.ndata);
        for (uint32_t i = 0; i < run->internal.ndata && i < 16; i++)
            printf("%s0x%llx", i ? " " : "",
                   (unsigned long long)run->internal.data[i]);
        printf("]");
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
            (run->emulation_failure.flags &
             KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
            printf(" insn_size=%u insn=", run->emulation_failure.insn_size);
            for (unsigned i = 0; i < run->emulation_failure.insn_size &&
                 i < sizeof(run->emulation_failure.insn_bytes); i++)
                printf("%02x", run->emulation_failure.insn_bytes[i]);
        }
    }
    if (pi->expect != 0) {
        uint64_t got;
        memcpy(&got, v->mem + PROBE_DATA, sizeof(got));
        printf(" [0x%lx]=0x%llx (%s)", PROBE_DATA, (unsigned long long)got,
               got == pi->expect ? "stored as expected" : "not stored");
    }
    if (ioctl(v->vcpu, KVM_GET_REGS, &regs) == 0) {
        printf(" rip=0x%llx bytes@rip=", (unsigned long long)regs.rip);
        for (uint64_t i = 0; i < 6 && regs.rip + i < v->mem_size; i++)
            printf("%02x", v->mem[regs.rip + i]);
    }
    printf("\n");
}

static int probe_value_ok(struct bench_vm *v, const struct probe_insn *pi)
{
    uint64_t got;

    memcpy(&got, v->mem + PROBE_DATA, sizeof(got));
    return pi->expect == 0 || got == pi->expect;
}

static int probe_one(const struct probe_variant *pv, const struct probe_insn *pi)
{
    struct bench_vm v;
    int user = (pv->flags & PROBE_USER) != 0;
    size_t n = 0;
    int rc;

    bench_init(&v);
    if (bench_open(&v) < 0 ||
        bench_add_memory(&v, PROBE_MEM, MAP_SHARED, -1) < 0 ||
        bench_create_vcpu(&v) < 0) {
        perror("kvm_fpu_probe: VM set-up");
        bench_close(&v);
        return -1;
    }
    bench_write_pagetables(&v);
    if (user) {
        uint64_t *pt0 = (uint64_t *)(v.mem + BENCH_PT0_BASE);
        bench_set_user_pages(&v);
        /* Keep the syscall target supervisor-only (see docs/kvm-pvm.md,
         * "Running guest code at CPL3": kvm-pvm runs a syscall target at CPL3). */
        pt0[PROBE_SYSCALL_HLT >> 12] &= ~0x4ULL;
    }

    uint8_t *code = v.mem + BENCH_ENTRY;
    if (pi->needs_rax) {
        const uint8_t mov[] = { 0xb8, 0x00, 0x00, 0x20, 0x00 };
        memcpy(code, mov, sizeof(mov));
        n += sizeof(mov);
    }
    memcpy(code + n, pi->bytes, pi->len);
    n += pi->len;
    if (user) {
        code[n++] = 0x0f;                               /* syscall */
        code[n++] = 0x05;
        v.mem[PROBE_SYSCALL_HLT] = 0xf4;                /* hlt */
    } else {
        code[n++] = 0xf4;                               /* hlt */
    }

    printf("%-16s %-22s ", pv->name, pi->name);
    if ((pv->flags & PROBE_CPUID) && bench_set_cpuid(&v) < 0) {
        printf("set-up failed: KVM_SET_CPUID2: %m\n");
        goto out;
    }
    rc = bench_setup_long(&v, BENCH_ENTRY, pv->cr0, pv->cr4,
                          user ? BENCH_LONG_USER : 0);
    if (rc < 0) {
        printf("set-up failed: KVM_SET_SREGS/REGS: %s\n", strerror(-rc));
        goto out;
    }
    if (user && probe_enable_syscall(&v) < 0) {
        printf("set-up failed: EFER.SCE/syscall MSRs: %m\n");
        goto out;
    }
    if (probe_set_fpu_state(&v, pv->flags) < 0) {
        printf("set-up failed: FPU/XSAVE/XCRS ioctl: %m\n");
        goto out;
    }
    rc = bench_run(&v);
    if (rc < 0)
        printf("KVM_RUN: %s\n", strerror(-rc));
    else if (rc == KVM_EXIT_HLT && probe_value_ok(&v, pi))
        printf("ok\n");
    else
        probe_report_failure(&v, pi, rc);
out:
    fflush(stdout);
    bench_close(&v);
    return 0;
}

int main(void)
{
    size_t nv = sizeof(probe_variants) / sizeof(probe_variants[0]);
    size_t ni = sizeof(probe_insns) / sizeof(probe_insns[0]);

    printf("%-16s %-22s result\n", "variant", "instruction");
    for (size_t i = 0; i < nv; i++)
        for (size_t j = 0; j < ni; j++)
            if (probe_one(&probe_variants[i], &probe_insns[j]) < 0)
                return 1;
    return 0;
}
