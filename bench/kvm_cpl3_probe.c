/*
 * kvm_cpl3_probe: can an hvt guest boot at CPL0, drop to CPL3 and run its
 * application there (natively on kvm-pvm) while still reaching the tender?
 *
 *   kvm_cpl3_probe
 *
 * Every case is a fresh 4 MiB long-mode VM (hvt's page tables, bench_kvm.c)
 * plus, written by the host, the tables a Solo5 binding would own: a GDT
 * with ring-3 descriptors and a 64-bit TSS (RSP0, IST1, optional I/O
 * bitmap), an IDT, and the guest code below copied twice: at 0x100000 on
 * supervisor pages (boot code and handlers) and at 0x180000 on user pages
 * (the "application"). The guest's CPL0 boot code does lgdt/lidt/ltr itself
 * and drops to CPL3 with iretq. Exceptions go to CPL0 handlers that copy
 * their frame to a mailbox page and report with `out` to port 0x501.
 * One line per case; timings are KVM_RUN wall time, min/median.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "bench_kvm.h"

/* Guest-physical (= virtual) layout; everything sits in PT0's 4 KiB pages. */
#define G_MEM        (4UL << 20)
#define G_KCODE      0x100000UL  /* supervisor copy of the blob */
#define G_GDT        0x120000UL
#define G_IDT        0x121000UL
#define G_TSS        0x122000UL  /* 0x68 bytes + 8 KiB I/O bitmap + 0xff */
#define G_MBOX       0x128000UL  /* handler frame dump; GDTR/IDTR at +0x100 */
#define G_SPAGE      0x129000UL  /* a supervisor data page */
#define G_KSTACK     0x140000UL  /* RSP0 and the boot stack (top) */
#define G_ISTACK     0x150000UL  /* IST1, for #DF */
#define G_UCODE      0x180000UL  /* user copy of the blob */
#define G_UDATA      0x1e0000UL  /* user data page */
#define G_NOTPRESENT 0x1f0000UL  /* P=0 in PT0 */
#define G_USER_LO    0x1c0000UL  /* user range: data, stack */
#define G_USER_HI    0x200000UL
#define G_USTACK     0x1fc000UL

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b           /* 0x18 | 3: STAR[63:48] + 8 for sysret */
#define SEL_UCODE 0x23           /* 0x20 | 3: STAR[63:48] + 16 */
#define SEL_TSS   0x28

#define PORT_HC     0x500        /* "hypercall" port */
#define PORT_REPORT 0x501        /* exception handler report */
#define PTE_P  0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define RFLAGS_IOPL3 0x3000ULL
#define CR4_FSGSBASE (1ULL << 16)
#define EFER_SCE 0x1ULL
#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_FMASK  0xc0000084

/*
 * The guest. Only relative branches inside the blob, absolute addresses are
 * the constants above, so the same bytes run at G_KCODE and at G_UCODE.
 */
#define STR_(x) #x
#define STR(x) STR_(x)
__asm__(
    ".pushsection .rodata.cpl3_guest,\"a\"\n"
    ".code64\n"
    ".globl cpl3g_start\n"
    "cpl3g_start:\n"

    /* CPL0 boot: rdi = CPL3 entry, rbx = CPL3 RFLAGS, rsi kept for it. */
    ".globl cpl3g_boot\n"
    "cpl3g_boot:\n"
    "    lgdt " STR(G_MBOX) "+0x100\n"
    "    lidt " STR(G_MBOX) "+0x110\n"
    "    mov $" STR(SEL_TSS) ",%ax\n"
    "    ltr %ax\n"
    "    mov $" STR(SEL_KDATA) ",%eax\n"
    "    mov %eax,%ds\n"
    "    mov %eax,%es\n"
    "    mov %eax,%ss\n"
    "    pushq $" STR(SEL_UDATA) "\n"
    "    pushq $" STR(G_USTACK) "\n"
    "    push %rbx\n"
    "    pushq $" STR(SEL_UCODE) "\n"
    "    push %rdi\n"
    "    iretq\n"

    /* Exception stubs: normalise to [vector, error code, iret frame]. */
    ".macro EXC vec, has_err\n"
    ".globl cpl3g_exc\\vec\n"
    "cpl3g_exc\\vec:\n"
    "  .if \\has_err == 0\n"
    "    pushq $0\n"
    "  .endif\n"
    "    pushq $\\vec\n"
    "    jmp cpl3g_report\n"
    ".endm\n"
    "EXC 0,0\n EXC 6,0\n EXC 8,1\n EXC 13,1\n EXC 14,1\n EXC 255,0\n"
    /* Copies vector, error, rip, cs, rflags, rsp, ss, cr2 to the mailbox,
     * tells the host, then halts (is hlt at CPL0 fine after CPL3?). */
    "cpl3g_report:\n"
    "    mov %cr2,%rax\n"
    "    mov %rax," STR(G_MBOX) "+0x38\n"
    "    xor %ecx,%ecx\n"
    "1:  pop %rax\n"
    "    mov %rax," STR(G_MBOX) "(,%rcx,8)\n"
    "    inc %ecx\n"
    "    cmp $7,%ecx\n"
    "    jne 1b\n"
    "    mov $" STR(PORT_REPORT) ",%edx\n"
    "    out %eax,(%dx)\n"
    "    hlt\n"
    "    jmp .\n"

    /* Hypercall gates: int $0x80 (DPL3 interrupt gate) and syscall. */
    ".globl cpl3g_int80\n"
    "cpl3g_int80:\n"
    "    out %eax,(%dx)\n"
    "    iretq\n"
    ".globl cpl3g_syscall\n"
    "cpl3g_syscall:\n"
    "    out %eax,(%dx)\n"
    "    sysretq\n"
    /* int $0x81: FS base = rdi via wrmsr (for CPUs/hosts without wrfsbase). */
    ".globl cpl3g_int81\n"
    "cpl3g_int81:\n"
    "    mov %rdi,%rax\n"
    "    mov %rdi,%rdx\n"
    "    shr $32,%rdx\n"
    "    mov $0xc0000100,%ecx\n"
    "    wrmsr\n"
    "    iretq\n"

    /* #UD as a trap into CPL0 (int n and syscall do not work, see the doc):
     * hypercall, plain round trip, and set FS base = rdi. */
    ".globl cpl3g_ud_hc\n"
    "cpl3g_ud_hc:\n"
    "    out %eax,(%dx)\n"
    "    addq $2,(%rsp)\n"
    "    iretq\n"
    ".globl cpl3g_ud_skip\n"
    "cpl3g_ud_skip:\n"
    "    addq $2,(%rsp)\n"
    "    iretq\n"
    ".globl cpl3g_ud_fsbase\n"
    "cpl3g_ud_fsbase:\n"
    "    mov %rdi,%rax\n"
    "    mov %rdi,%rdx\n"
    "    shr $32,%rdx\n"
    "    mov $0xc0000100,%ecx\n"
    "    wrmsr\n"
    "    addq $2,(%rsp)\n"
    "    iretq\n"

    /* Timing loops: rsi iterations of dec/jnz, then one hypercall, forever.
     * Run at CPL0 (from G_KCODE) or at CPL3 (from G_UCODE). */
    ".macro HC_LOOP name, hc:vararg\n"
    ".globl cpl3g_\\name\n"
    "cpl3g_\\name:\n"
    "1:  mov %rsi,%rcx\n"
    "    test %rcx,%rcx\n"
    "    jz 3f\n"
    "2:  dec %rcx\n"
    "    jnz 2b\n"
    "3:  mov $" STR(PORT_HC) ",%edx\n"
    "    mov $0x600d,%eax\n"
    "    \\hc\n"
    "    jmp 1b\n"
    ".endm\n"
    "HC_LOOP loop_out, out %eax,(%dx)\n"
    "HC_LOOP loop_int80, int $0x80\n"
    "HC_LOOP loop_syscall, syscall\n"
    "HC_LOOP loop_ud2, ud2\n"
    "HC_LOOP loop_int3, int3\n"
    /* rsi traps (ud2 -> CPL0 -> iretq) without exits, then one exit. */
    ".globl cpl3g_trap_loop\n"
    "cpl3g_trap_loop:\n"
    "1:  mov %rsi,%rcx\n"
    "    test %rcx,%rcx\n"
    "    jz 3f\n"
    "2:  ud2\n"
    "    dec %rcx\n"
    "    jnz 2b\n"
    "3:  mov $" STR(PORT_HC) ",%edx\n"
    "    out %eax,(%dx)\n"
    "    jmp 1b\n"

    /* One-shot CPL3 snippets. HC v: exit to the host with eax = v (an
     * `out` at CPL3, allowed by the TSS I/O bitmap). */
    ".macro HC v\n"
    "    mov $" STR(PORT_HC) ",%edx\n"
    "    mov $\\v,%eax\n"
    "    out %eax,(%dx)\n"
    ".endm\n"
    ".macro SNIPPET name\n"
    ".globl cpl3g_\\name\n"
    "cpl3g_\\name:\n"
    ".endm\n"
    /* Software interrupts through the IDT; handlers exit with 0x600d. */
    ".macro INT_SNIPPET name, insn:vararg\n"
    "SNIPPET \\name\n"
    "    mov $" STR(PORT_HC) ",%edx\n"
    "    mov $0x600d,%eax\n"
    "    \\insn\n"
    "    HC 0xd0e\n"
    "    ud2\n"
    ".endm\n"
    "INT_SNIPPET u_int80, int $0x80\n"
    "INT_SNIPPET u_int82, int $0x82\n"
    "INT_SNIPPET u_int3, int3\n"
    "INT_SNIPPET u_int_3, .byte 0xcd, 0x03\n"
    /* syscall lands here when LSTAR points at the user copy: what CPL? */
    "SNIPPET u_sys_target\n"
    "    mov %cs,%eax\n"
    "    mov %rcx," STR(G_UDATA) "+0x300\n"
    "    mov %r11," STR(G_UDATA) "+0x308\n"
    "    pushfq\n"
    "    popq " STR(G_UDATA) "+0x310\n"
    "    mov $" STR(PORT_HC) ",%edx\n"
    "    out %eax,(%dx)\n"
    "    ud2\n"
    /* What `mov %cs` and rdtsc give at CPL3. */
    "SNIPPET u_cs_tsc\n"
    "    rdtsc\n"
    "    mov %eax," STR(G_UDATA) "+0x400\n"
    "    mov %edx," STR(G_UDATA) "+0x404\n"
    "    mov %cs,%eax\n"
    "    mov $" STR(PORT_HC) ",%edx\n"
    "    out %eax,(%dx)\n"
    "    ud2\n"
    /* Run at CPL0: store to a user page, then exit. */
    "SNIPPET k_touch_user\n"
    "    movl $0x5a5a," STR(G_UDATA) "+0x500\n"
    "    mov " STR(G_UDATA) "+0x500,%eax\n"
    "    mov $" STR(PORT_HC) ",%edx\n"
    "    out %eax,(%dx)\n"
    "    hlt\n"
    "SNIPPET u_hlt\n hlt\n HC 0xd0e\n ud2\n"
    "SNIPPET u_vmcall\n vmcall\n HC 0xd0e\n ud2\n"
    "SNIPPET u_vmmcall\n vmmcall\n HC 0xd0e\n ud2\n"
    "SNIPPET u_pf_np\n movl $1," STR(G_NOTPRESENT) "+0x10\n HC 0xd0e\n ud2\n"
    "SNIPPET u_pf_sup\n movl $1," STR(G_SPAGE) "+0x10\n HC 0xd0e\n ud2\n"
    "SNIPPET u_gp\n movabs $0x8000000000000000,%rax\n"
    ".globl cpl3g_u_gp_insn\n cpl3g_u_gp_insn:\n mov (%rax),%rax\n"
    " HC 0xd0e\n ud2\n"
    "SNIPPET u_ud\n ud2\n"
    "SNIPPET u_de\n xor %ecx,%ecx\n xor %edx,%edx\n mov $1,%eax\n"
    ".globl cpl3g_u_de_insn\n cpl3g_u_de_insn:\n div %ecx\n"
    " HC 0xd0e\n ud2\n"
    /* FS base: set (wrfsbase, or int $0x81 -> wrmsr), read %fs:0 and
     * rdfsbase, exit, read %fs:8 again after the round trip. */
    "SNIPPET u_wrfsbase\n mov $" STR(G_UDATA) ",%rax\n wrfsbase %rax\n"
    " jmp 4f\n"
    "SNIPPET u_msrfsbase\n mov $" STR(G_UDATA) ",%rdi\n int $0x81\n"
    " jmp 4f\n"
    "SNIPPET u_udfsbase\n mov $" STR(G_UDATA) ",%rdi\n ud2\n"
    "4:  mov %fs:0,%rbx\n"
    "    mov %rbx," STR(G_UDATA) "+0x100\n"
    "    HC 0x1\n"
    "    mov %fs:8,%rbx\n"
    "    mov %rbx," STR(G_UDATA) "+0x108\n"
    "    rdfsbase %rcx\n"
    "    mov %rcx," STR(G_UDATA) "+0x110\n"
    "    HC 0x2\n"
    "    ud2\n"
    /* x87/SSE: squares of 4 floats, 1+1 in x87; xmm1 again after an exit. */
    "SNIPPET u_fpu\n"
    "    xorps %xmm0,%xmm0\n"
    "    movups " STR(G_UDATA) "+0x200,%xmm1\n"
    "    mulps %xmm1,%xmm1\n"
    "    addps %xmm0,%xmm1\n"
    "    movups %xmm1," STR(G_UDATA) "+0x210\n"
    "    fldz\n"
    "    fld1\n"
    "    faddp\n"
    "    fld1\n"
    "    faddp\n"
    "    fstpl " STR(G_UDATA) "+0x220\n"
    "    HC 0x1\n"
    "    movups %xmm1," STR(G_UDATA) "+0x230\n"
    "    HC 0x2\n"
    "    ud2\n"
    ".globl cpl3g_end\n"
    "cpl3g_end:\n"
    ".popsection\n");

extern const uint8_t cpl3g_start[], cpl3g_end[], cpl3g_boot[];
extern const uint8_t cpl3g_exc0[], cpl3g_exc6[], cpl3g_exc8[], cpl3g_exc13[],
    cpl3g_exc14[], cpl3g_exc255[];
extern const uint8_t cpl3g_int80[], cpl3g_int81[], cpl3g_syscall[],
    cpl3g_ud_hc[], cpl3g_ud_skip[], cpl3g_ud_fsbase[];
extern const uint8_t cpl3g_loop_out[], cpl3g_loop_int80[],
    cpl3g_loop_syscall[], cpl3g_loop_ud2[], cpl3g_loop_int3[],
    cpl3g_trap_loop[], cpl3g_u_cs_tsc[], cpl3g_k_touch_user[];
extern const uint8_t cpl3g_u_int80[], cpl3g_u_int82[], cpl3g_u_int3[],
    cpl3g_u_int_3[], cpl3g_u_sys_target[], cpl3g_u_udfsbase[];
extern const uint8_t cpl3g_u_hlt[], cpl3g_u_vmcall[], cpl3g_u_vmmcall[],
    cpl3g_u_pf_np[], cpl3g_u_pf_sup[], cpl3g_u_gp[], cpl3g_u_gp_insn[],
    cpl3g_u_ud[], cpl3g_u_de[], cpl3g_u_de_insn[], cpl3g_u_wrfsbase[],
    cpl3g_u_msrfsbase[], cpl3g_u_fpu[];

/* Address of a blob symbol in the supervisor or the user copy. */
static uint64_t kaddr(const uint8_t *sym)
{
    return G_KCODE + (uint64_t)(sym - cpl3g_start);
}

static uint64_t uaddr(const uint8_t *sym)
{
    return G_UCODE + (uint64_t)(sym - cpl3g_start);
}

enum {
    C_CPL0 = 1 << 0,        /* no boot: run the snippet at CPL0 directly */
    C_IOPL3 = 1 << 1,       /* CPL3 RFLAGS.IOPL = 3 */
    C_NOIOMAP = 1 << 2,     /* no TSS I/O bitmap (default: 0x500-3 allowed) */
    C_SYSCALL = 1 << 3,     /* EFER.SCE + STAR/LSTAR/SFMASK via KVM_SET_MSRS */
    C_FSGSBASE = 1 << 4,    /* CR4.FSGSBASE */
    C_UD_HC = 1 << 5,       /* #UD gate: hypercall (out), skip ud2 */
    C_UD_SKIP = 1 << 6,     /* #UD gate: skip ud2 */
    C_UD_FS = 1 << 7,       /* #UD gate: FS base = rdi, skip ud2 */
    C_LSTAR_USER = 1 << 8,  /* LSTAR = user copy of u_sys_target */
};

struct probe_vm {
    struct bench_vm v;
    uint64_t mbox[8];       /* vector, err, rip, cs, rflags, rsp, ss, cr2 */
};

static void put_u64(struct bench_vm *v, uint64_t gpa, uint64_t val)
{
    memcpy(v->mem + gpa, &val, sizeof(val));
}

static uint64_t get_u64(struct bench_vm *v, uint64_t gpa)
{
    uint64_t val;

    memcpy(&val, v->mem + gpa, sizeof(val));
    return val;
}

static void idt_gate(struct bench_vm *v, unsigned vec, uint64_t handler,
                     unsigned dpl, unsigned ist)
{
    uint64_t attr = 0x8eULL | ((uint64_t)dpl << 5);    /* P, 64-bit intr gate */
    uint64_t lo = (handler & 0xffff) | ((uint64_t)SEL_KCODE << 16) |
                  ((uint64_t)ist << 32) | (attr << 40) |
                  (((handler >> 16) & 0xffff) << 48);

    put_u64(v, G_IDT + vec * 16, lo);
    put_u64(v, G_IDT + vec * 16 + 8, handler >> 32);
}

/* What a Solo5 binding would set up for itself (here written by the host;
 * the guest loads it with lgdt/lidt/ltr). */
static void write_tables(struct bench_vm *v, unsigned flags)
{
    uint64_t *pml4 = (uint64_t *)(v->mem + BENCH_PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(v->mem + BENCH_PDPT_BASE);
    uint64_t *pd = (uint64_t *)(v->mem + BENCH_PD_BASE);
    uint64_t *pt0 = (uint64_t *)(v->mem + BENCH_PT0_BASE);
    size_t blob = (size_t)(cpl3g_end - cpl3g_start);
    uint64_t tss_limit = !(flags & C_NOIOMAP) ? 0x68 + 8192 : 0x67;

    /* U on the path to PT0, and on the user code/data leaves only. */
    pml4[0] |= PTE_US;
    pdpt[0] |= PTE_US;
    pd[0] |= PTE_US;
    for (uint64_t a = G_UCODE; a < G_UCODE + blob; a += 0x1000)
        pt0[a >> 12] |= PTE_US;
    for (uint64_t a = G_USER_LO; a < G_USER_HI; a += 0x1000)
        pt0[a >> 12] |= PTE_US;
    pt0[G_NOTPRESENT >> 12] = 0;

    memcpy(v->mem + G_KCODE, cpl3g_start, blob);
    memcpy(v->mem + G_UCODE, cpl3g_start, blob);

    put_u64(v, G_GDT + 0x00, 0);
    put_u64(v, G_GDT + 0x08, 0x00af9b000000ffffULL);  /* code64 DPL0 */
    put_u64(v, G_GDT + 0x10, 0x00cf93000000ffffULL);  /* data DPL0 */
    put_u64(v, G_GDT + 0x18, 0x00cff3000000ffffULL);  /* data DPL3 */
    put_u64(v, G_GDT + 0x20, 0x00affb000000ffffULL);  /* code64 DPL3 */
    put_u64(v, G_GDT + 0x28, (tss_limit & 0xffff) |
            ((G_TSS & 0xffffff) << 16) | (0x89ULL << 40) |
            (((tss_limit >> 16) & 0xf) << 48) |
            (((G_TSS >> 24) & 0xff) << 56));
    put_u64(v, G_GDT + 0x30, G_TSS >> 32);

    memset(v->mem + G_TSS, 0, 0x68 + 8192 + 1);
    put_u64(v, G_TSS + 4, G_KSTACK);                     /* RSP0 */
    put_u64(v, G_TSS + 0x24, G_ISTACK);                  /* IST1 */
    v->mem[G_TSS + 0x66] = 0x68;                         /* iomap_base */
    if (!(flags & C_NOIOMAP)) {
        memset(v->mem + G_TSS + 0x68, 0xff, 8192 + 1);
        v->mem[G_TSS + 0x68 + PORT_HC / 8] &= (uint8_t)~0x0f;  /* 0x500-3 */
    }

    for (unsigned vec = 0; vec < 256; vec++)
        idt_gate(v, vec, kaddr(cpl3g_exc255), 0, 0);
    idt_gate(v, 0, kaddr(cpl3g_exc0), 0, 0);
    if (flags & C_UD_HC)
        idt_gate(v, 6, kaddr(cpl3g_ud_hc), 0, 0);
    else if (flags & C_UD_SKIP)
        idt_gate(v, 6, kaddr(cpl3g_ud_skip), 0, 0);
    else if (flags & C_UD_FS)
        idt_gate(v, 6, kaddr(cpl3g_ud_fsbase), 0, 0);
    else
        idt_gate(v, 6, kaddr(cpl3g_exc6), 0, 0);
    idt_gate(v, 8, kaddr(cpl3g_exc8), 0, 1);
    idt_gate(v, 13, kaddr(cpl3g_exc13), 0, 0);
    idt_gate(v, 14, kaddr(cpl3g_exc14), 0, 0);
    idt_gate(v, 0x80, kaddr(cpl3g_int80), 3, 0);
    idt_gate(v, 0x81, kaddr(cpl3g_int81), 3, 0);
    idt_gate(v, 0x82, kaddr(cpl3g_int80), 0, 0);       /* DPL0: want #GP */
    idt_gate(v, 3, kaddr(cpl3g_int80), 3, 0);          /* int3 as a gate */

    /* Pseudo-descriptors (limit:16, base:64) for lgdt and lidt. */
    uint16_t gdt_limit = 0x37, idt_limit = 256 * 16 - 1;
    memcpy(v->mem + G_MBOX + 0x100, &gdt_limit, 2);
    put_u64(v, G_MBOX + 0x102, G_GDT);
    memcpy(v->mem + G_MBOX + 0x110, &idt_limit, 2);
    put_u64(v, G_MBOX + 0x112, G_IDT);
}

static int enable_syscall(struct bench_vm *v, unsigned flags)
{
    struct kvm_sregs sregs;
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[3];
    } msrs = {
        .hdr.nmsrs = 3,
        .e = {
            /* syscall: CS=0x08 SS=0x10; sysret: SS=0x18|3, CS=0x20|3 */
            { .index = MSR_STAR,
              .data = (0x10ULL << 48) | ((uint64_t)SEL_KCODE << 32) },
            { .index = MSR_LSTAR,
              .data = (flags & C_LSTAR_USER) ? uaddr(cpl3g_u_sys_target)
                                             : kaddr(cpl3g_syscall) },
            { .index = MSR_FMASK, .data = 0x47700 },   /* TF DF IF AC NT */
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

/*
 * Fresh VM; entry is a G_UCODE address reached through the guest's boot
 * code, or with C_CPL0 a G_KCODE address run directly at CPL0.
 */
static int vm_start(struct probe_vm *p, uint64_t entry, uint64_t arg,
                    unsigned flags)
{
    struct bench_vm *v = &p->v;
    struct kvm_regs regs;
    uint64_t cr4 = BENCH_HVT_CR4 | ((flags & C_FSGSBASE) ? CR4_FSGSBASE : 0);

    bench_init(v);
    if (bench_open(v) < 0 || bench_add_memory(v, G_MEM, MAP_SHARED, -1) < 0 ||
        bench_create_vcpu(v) < 0 || bench_set_cpuid(v) < 0)
        return -1;
    bench_write_pagetables(v);
    write_tables(v, flags);
    if (bench_setup_long(v, entry, BENCH_HVT_CR0, cr4, 0) < 0)
        return -1;
    if ((flags & C_SYSCALL) && enable_syscall(v, flags) < 0)
        return -1;
    memset(&regs, 0, sizeof(regs));
    regs.rflags = 0x2;
    regs.rsp = G_KSTACK;
    regs.rsi = arg;
    if (flags & C_CPL0) {
        regs.rip = entry;
    } else {
        regs.rip = kaddr(cpl3g_boot);
        regs.rdi = entry;
        regs.rbx = 0x2 | ((flags & C_IOPL3) ? RFLAGS_IOPL3 : 0);
    }
    if (ioctl(v->vcpu, KVM_SET_REGS, &regs) != 0)
        return -1;
    return 0;
}

/* One exit, described in a few words into buf; returns the exit reason or
 * -1. For a report from a handler, p->mbox gets its frame. */
static int vm_step(struct probe_vm *p, char *buf, size_t len)
{
    struct bench_vm *v = &p->v;
    struct kvm_run *run = v->run;
    int rc = bench_run(v);

    if (rc < 0) {
        snprintf(buf, len, "KVM_RUN failed");
        return -1;
    }
    if (rc == KVM_EXIT_IO) {
        uint32_t val = 0;
        memcpy(&val, (uint8_t *)run + run->io.data_offset,
               run->io.size < 4 ? run->io.size : 4);
        if (run->io.port == PORT_REPORT) {
            for (int i = 0; i < 8; i++)
                p->mbox[i] = get_u64(v, G_MBOX + 8 * (uint64_t)i);
            snprintf(buf, len, "#%llu err=0x%llx rip=0x%llx cs=0x%llx "
                     "cr2=0x%llx",
                     (unsigned long long)p->mbox[0],
                     (unsigned long long)p->mbox[1],
                     (unsigned long long)p->mbox[2],
                     (unsigned long long)p->mbox[3],
                     (unsigned long long)p->mbox[7]);
        } else {
            snprintf(buf, len, "IO(%s port=0x%x size=%u val=0x%x)",
                     run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                     run->io.port, run->io.size, val);
        }
        return rc;
    }
    if (rc == KVM_EXIT_INTERNAL_ERROR)
        snprintf(buf, len, "INTERNAL_ERROR(suberror=%u)",
                 run->internal.suberror);
    else
        snprintf(buf, len, "%s(%d)", bench_exit_name((uint32_t)rc), rc);
    return rc;
}

/* Runs up to max exits (stopping at anything but IO) and prints them. */
static void run_and_print(struct probe_vm *p, int max)
{
    char buf[160];
    struct kvm_regs regs;

    for (int i = 0; i < max; i++) {
        int rc = vm_step(p, buf, sizeof(buf));
        printf("%s%s", i ? " -> " : "", buf);
        if (rc != KVM_EXIT_IO)
            break;
    }
    if (ioctl(p->v.vcpu, KVM_GET_REGS, &regs) == 0)
        printf(" [rip=0x%llx]", (unsigned long long)regs.rip);
}

/* ---- cases ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct timing {
    double min_us, med_us;
    int ok;
};

/*
 * Times `runs` KVM_RUNs from one IO exit on PORT_HC to the next (after 3
 * warm-up runs, the first of which includes the boot).
 */
static struct timing time_loop(uint64_t entry, uint64_t arg, unsigned flags,
                               int runs)
{
    struct probe_vm p;
    struct timing t = { 0, 0, 0 };
    uint64_t *ns = calloc((size_t)runs, sizeof(*ns));
    char buf[160];

    if (ns == NULL || vm_start(&p, entry, arg, flags) < 0)
        goto out;
    for (int i = -3; i < runs; i++) {
        uint64_t t0 = bench_now_ns();
        int rc = vm_step(&p, buf, sizeof(buf));
        uint64_t t1 = bench_now_ns();
        if (rc != KVM_EXIT_IO || p.v.run->io.port != PORT_HC) {
            printf("[unexpected exit: %s] ", buf);
            goto out;
        }
        if (i >= 0)
            ns[i] = t1 - t0;
    }
    qsort(ns, (size_t)runs, sizeof(*ns), cmp_u64);
    t.min_us = (double)ns[0] / 1e3;
    t.med_us = (double)ns[runs / 2] / 1e3;
    t.ok = 1;
out:
    bench_close(&p.v);
    free(ns);
    return t;
}

static void case_loops(void)
{
    static const uint64_t n3 = 10000000, n0 = 20000;
    struct timing u0 = time_loop(uaddr(cpl3g_loop_out), 0, 0, 200);
    struct timing u1 = time_loop(uaddr(cpl3g_loop_out), n3, 0, 30);
    struct timing k0 = time_loop(kaddr(cpl3g_loop_out), 0, C_CPL0, 200);
    struct timing k1 = time_loop(kaddr(cpl3g_loop_out), n0, C_CPL0, 15);

    if (!u0.ok || !u1.ok || !k0.ok || !k1.ok) {
        printf("1  dec/jnz loop: FAILED\n");
        return;
    }
    double u = (u1.min_us - u0.min_us) * 1e3 / (double)n3;
    double k = (k1.min_us - k0.min_us) * 1e3 / (double)n0;
    printf("1  dec/jnz loop: CPL3 %.3f ns/iter (%llu iters: min %.0f us, "
           "med %.0f us); CPL0 %.0f ns/iter (%llu iters: min %.0f us, "
           "med %.0f us); CPL0/CPL3 = %.0fx\n",
           u, (unsigned long long)n3, u1.min_us, u1.med_us,
           k, (unsigned long long)n0, k1.min_us, k1.med_us, k / u);
}

static void print_rt(const char *label, uint64_t entry, unsigned flags)
{
    struct timing t = time_loop(entry, 0, flags, 2000);

    if (t.ok)
        printf("%s: round trip min %.1f us, median %.1f us (2000 exits)\n",
               label, t.min_us, t.med_us);
    else
        printf("%s: no exit on port 0x500\n", label);
}

/* A one-shot case: print what happens, from boot to the last exit. */
static void case_once(const char *label, uint64_t entry, unsigned flags,
                      int max)
{
    struct probe_vm p;

    printf("%s: ", label);
    if (vm_start(&p, entry, 0, flags) < 0)
        printf("set-up failed: %m");
    else
        run_and_print(&p, max);
    printf("\n");
    bench_close(&p.v);
}

static void case_fault(const char *label, const uint8_t *snippet,
                       const uint8_t *insn, uint64_t want_vec,
                       uint64_t want_err, uint64_t want_cr2)
{
    struct probe_vm p;
    char buf[160];
    int ok = 0;

    printf("%s: ", label);
    memset(p.mbox, 0xff, sizeof(p.mbox));
    if (vm_start(&p, uaddr(snippet), 0, 0) < 0) {
        printf("set-up failed: %m\n");
        bench_close(&p.v);
        return;
    }
    int rc = vm_step(&p, buf, sizeof(buf));
    printf("%s", buf);
    if (rc == KVM_EXIT_IO && p.v.run->io.port == PORT_REPORT) {
        ok = p.mbox[0] == want_vec && p.mbox[1] == want_err &&
             p.mbox[2] == uaddr(insn) && p.mbox[3] == SEL_UCODE &&
             p.mbox[6] == SEL_UDATA && p.mbox[5] == G_USTACK &&
             (want_cr2 == ~0ULL || p.mbox[7] == want_cr2);
        rc = vm_step(&p, buf, sizeof(buf));     /* the handler's hlt */
        printf(" -> %s", buf);
    }
    printf(" => %s\n", ok ? "as on hardware" : "UNEXPECTED");
    bench_close(&p.v);
}

static int cpuid_has_fsgsbase(void)
{
    struct bench_vm v;
    size_t size = sizeof(struct kvm_cpuid2) +
                  100 * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, size);
    int has = -1;

    bench_init(&v);
    if (c != NULL && bench_open(&v) == 0) {
        c->nent = 100;
        if (ioctl(v.kvm, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            has = 0;
            for (uint32_t i = 0; i < c->nent; i++)
                if (c->entries[i].function == 7 && c->entries[i].index == 0)
                    has = (c->entries[i].ebx & 1) != 0;
        }
    }
    bench_close(&v);
    free(c);
    return has;
}

static void case_fsbase(const char *label, const uint8_t *snippet,
                        unsigned flags)
{
    struct probe_vm p;

    printf("%s: ", label);
    if (vm_start(&p, uaddr(snippet), 0, flags) < 0) {
        printf("set-up failed: %m\n");
        bench_close(&p.v);
        return;
    }
    put_u64(&p.v, G_UDATA, 0x1111111111111111ULL);
    put_u64(&p.v, G_UDATA + 8, 0x2222222222222222ULL);
    run_and_print(&p, 2);
    uint64_t a = get_u64(&p.v, G_UDATA + 0x100);
    uint64_t b = get_u64(&p.v, G_UDATA + 0x108);
    uint64_t c = get_u64(&p.v, G_UDATA + 0x110);
    printf(" %%fs:0=0x%llx %%fs:8 after exit=0x%llx rdfsbase=0x%llx => %s\n",
           (unsigned long long)a, (unsigned long long)b,
           (unsigned long long)c,
           a == 0x1111111111111111ULL && b == 0x2222222222222222ULL &&
           c == G_UDATA ? "works" : "FAILED");
    bench_close(&p.v);
}

static void case_fpu(void)
{
    struct probe_vm p;
    const float in[4] = { 1.5f, 2.0f, -3.0f, 0.25f };
    const float want[4] = { 2.25f, 4.0f, 9.0f, 0.0625f };
    float got[4], again[4];
    double two;

    printf("5  x87/SSE at CPL3: ");
    if (vm_start(&p, uaddr(cpl3g_u_fpu), 0, 0) < 0) {
        printf("set-up failed: %m\n");
        bench_close(&p.v);
        return;
    }
    memcpy(p.v.mem + G_UDATA + 0x200, in, sizeof(in));
    run_and_print(&p, 3);
    memcpy(got, p.v.mem + G_UDATA + 0x210, sizeof(got));
    memcpy(again, p.v.mem + G_UDATA + 0x230, sizeof(again));
    memcpy(&two, p.v.mem + G_UDATA + 0x220, sizeof(two));
    printf(" mulps={%g,%g,%g,%g} x87 1+1=%g xmm1 after exit={%g,%g,%g,%g}"
           " => %s\n", got[0], got[1], got[2], got[3], two,
           again[0], again[1], again[2], again[3],
           memcmp(got, want, sizeof(want)) == 0 && two == 2.0 &&
           memcmp(again, want, sizeof(want)) == 0 ? "works" : "FAILED");
    bench_close(&p.v);
}

/* Cost of one CPL3 -> CPL0 -> CPL3 trap (ud2, handler skips it) without a
 * host exit: n traps per exit minus none. */
static void case_trap_cost(void)
{
    static const uint64_t n = 2000;
    struct timing t0 = time_loop(uaddr(cpl3g_trap_loop), 0, C_UD_SKIP, 200);
    struct timing t1 = time_loop(uaddr(cpl3g_trap_loop), n, C_UD_SKIP, 30);

    if (!t0.ok || !t1.ok) {
        printf("2e ud2 trap to CPL0 and iretq: FAILED\n");
        return;
    }
    printf("2e ud2 -> CPL0 handler (addq, iretq) -> CPL3, no exit: "
           "%.2f us per trap (min; %llu traps per run: min %.0f us, "
           "med %.0f us)\n", (t1.min_us - t0.min_us) / (double)n,
           (unsigned long long)n, t1.min_us, t1.med_us);
}

static void case_syscall_target(void)
{
    struct probe_vm p;

    printf("2c syscall with LSTAR on a user page: ");
    if (vm_start(&p, uaddr(cpl3g_loop_syscall), 0,
                 C_SYSCALL | C_LSTAR_USER) < 0) {
        printf("set-up failed: %m\n");
        bench_close(&p.v);
        return;
    }
    run_and_print(&p, 1);
    printf(" target ran with cs=0x%x rcx=0x%llx (return rip 0x%llx) "
           "r11=0x%llx rflags=0x%llx\n", *(uint32_t *)((uint8_t *)p.v.run +
           p.v.run->io.data_offset),
           (unsigned long long)get_u64(&p.v, G_UDATA + 0x300),
           (unsigned long long)(uaddr(cpl3g_loop_syscall) + 0x19),
           (unsigned long long)get_u64(&p.v, G_UDATA + 0x308),
           (unsigned long long)get_u64(&p.v, G_UDATA + 0x310));
    bench_close(&p.v);
}

static void case_tsc(void)
{
    struct probe_vm p;

    printf("6  rdtsc at CPL3: ");
    if (vm_start(&p, uaddr(cpl3g_u_cs_tsc), 0, 0) < 0) {
        printf("set-up failed: %m\n");
        bench_close(&p.v);
        return;
    }
    run_and_print(&p, 1);
    uint64_t tsc = get_u64(&p.v, G_UDATA + 0x400);
    printf(" tsc=%llu => %s\n", (unsigned long long)tsc,
           tsc != 0 ? "works" : "FAILED");
    bench_close(&p.v);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    case_loops();

    case_once("2a out CPL3 IOPL=3, no I/O bitmap", uaddr(cpl3g_loop_out),
              C_IOPL3 | C_NOIOMAP, 2);
    case_once("2a out CPL3 IOPL=0, no I/O bitmap (want #GP)",
              uaddr(cpl3g_loop_out), C_NOIOMAP, 2);
    case_once("2a out CPL3 IOPL=0, I/O bitmap clear for 0x500",
              uaddr(cpl3g_loop_out), 0, 2);
    case_once("2a out CPL3 IOPL=3 + I/O bitmap", uaddr(cpl3g_loop_out),
              C_IOPL3, 2);
    print_rt("2  out at CPL0 (today's hvt hypercall)", kaddr(cpl3g_loop_out),
             C_CPL0);
    print_rt("2a out at CPL3 via I/O bitmap", uaddr(cpl3g_loop_out), 0);
    case_once("2b int $0x80 (DPL3 gate)", uaddr(cpl3g_u_int80), 0, 3);
    case_once("2b int $0x82 (DPL0 gate, want #GP 0x412)",
              uaddr(cpl3g_u_int82), 0, 3);
    case_once("2b int3 (DPL3 gate, vector 3)", uaddr(cpl3g_u_int3), 0, 3);
    case_once("2b int $3 (cd 03, DPL3 gate)", uaddr(cpl3g_u_int_3), 0, 3);
    print_rt("2b int3 -> CPL0 out -> iretq", uaddr(cpl3g_loop_int3), 0);
    case_once("2c syscall -> CPL0 out -> sysretq", uaddr(cpl3g_loop_syscall),
              C_SYSCALL, 3);
    case_syscall_target();
    case_once("2c mov %cs,%eax at CPL3 without syscall (eax reported)",
              uaddr(cpl3g_u_cs_tsc), 0, 1);
    case_once("2c syscall without EFER.SCE (want #UD)",
              uaddr(cpl3g_loop_syscall), 0, 2);
    case_once("2d hlt at CPL3", uaddr(cpl3g_u_hlt), 0, 2);
    case_once("2d vmcall at CPL3", uaddr(cpl3g_u_vmcall), 0, 2);
    case_once("2d vmmcall at CPL3", uaddr(cpl3g_u_vmmcall), 0, 2);
    case_once("2e ud2 -> #UD handler: out, skip, iretq", uaddr(cpl3g_loop_ud2),
              C_UD_HC, 3);
    print_rt("2e ud2 -> CPL0 out -> iretq", uaddr(cpl3g_loop_ud2), C_UD_HC);
    case_trap_cost();
    case_once("2f CPL0 executes code on a U page", uaddr(cpl3g_loop_out),
              C_CPL0, 1);
    case_once("2f CPL0 writes+reads a U page (0x5a5a expected)",
              kaddr(cpl3g_k_touch_user), C_CPL0, 2);

    case_fault("3  #PF write to non-present page", cpl3g_u_pf_np,
               cpl3g_u_pf_np, 14, 0x6, G_NOTPRESENT + 0x10);
    case_fault("3  #PF write to supervisor page", cpl3g_u_pf_sup,
               cpl3g_u_pf_sup, 14, 0x7, G_SPAGE + 0x10);
    case_fault("3  #GP non-canonical load", cpl3g_u_gp, cpl3g_u_gp_insn,
               13, 0, ~0ULL);
    case_fault("3  #UD ud2", cpl3g_u_ud, cpl3g_u_ud, 6, 0, ~0ULL);
    case_fault("3  #DE div by 0", cpl3g_u_de, cpl3g_u_de_insn, 0, 0, ~0ULL);

    printf("4  KVM_GET_SUPPORTED_CPUID leaf 7 EBX.FSGSBASE = %d\n",
           cpuid_has_fsgsbase());
    case_fsbase("4  wrfsbase (CR4.FSGSBASE=1)", cpl3g_u_wrfsbase, C_FSGSBASE);
    case_fsbase("4  wrfsbase (CR4.FSGSBASE=0, want #UD)", cpl3g_u_wrfsbase, 0);
    case_fsbase("4  int $0x81 -> wrmsr FS_BASE", cpl3g_u_msrfsbase,
                C_FSGSBASE);
    case_fsbase("4  ud2 trap -> wrmsr FS_BASE", cpl3g_u_udfsbase,
                C_FSGSBASE | C_UD_FS);
    case_fpu();
    case_tsc();
    return 0;
}
