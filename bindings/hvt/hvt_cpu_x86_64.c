/*
 * hvt_cpu_x86_64.c: the guest's own GDT, TSS and IDT, the drop to CPL3,
 * TLS, and fatal traps.
 *
 * The tender's boot GDT lives in a page the guest cannot even see, so the
 * bindings load their own: null, kernel code (0x08) and data (0x10), user
 * data (0x18) and code (0x20), and a 64-bit TSS (0x28) whose interrupt
 * stack table gives traps, NMI/#DF and IRQs their own 4 KiB stacks (a trap
 * on a broken stack still gets reported).  Every IDT entry is a DPL 0
 * interrupt gate.  hvt and virtio never enable interrupts; the IRQ vectors
 * exist so that a stray one is ignored rather than fatal, and so that xen
 * can take its event-channel upcall (hvt_cpu_set_irq_handler()).
 *
 * When the tender maps guest memory user-accessible (HVT_FEATURE_USER_MODE)
 * the bindings drop to CPL3 as early as they can and the rest of the boot
 * and the application run there: on KVMs that emulate guest CPL0 code
 * (kvm-pvm, docs/kvm-pvm.md) CPL3 runs natively, with a working FPU.  What
 * still needs CPL0 afterwards:
 *   - hypercalls are `outl`, allowed at CPL3 by the TSS I/O permission
 *     bitmap for the hypercall ports only (IOPL stays 0);
 *   - traps arrive at the same CPL0 handlers, which report and HALT;
 *   - the TLS base: `wrfsbase` where CPUID offers FSGSBASE (and CR4 enables
 *     it), else a `ud2` at a known address that the #UD stub turns into a
 *     `wrmsr IA32_FS_BASE` (hvt_traps_x86_64.S);
 *   - after HALT, a `pause` spin instead of `hlt`.
 * Without the feature bit (upstream tenders) everything stays at CPL0.
 * solo5-hvt starts the vCPU at CPL3 with these tables already loaded
 * (hvt_entry_x86_64.c): then only hvt_cpu_init_user() runs, at CPL3.
 */
#include "hvt.h"
#include "hvt_cpu_x86_64.h"

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x18
#define GDT_UCODE 0x20
#define GDT_TSS 0x28
#define TSS_AVAILABLE 0x89ULL  /* present, 64-bit TSS, not busy */
#define TSS_BUSY 0x8bULL       /* the same, busy, as `ltr` leaves it */
#define RPL_USER 3

#define IST_IRQ 1
#define IST_TRAP 2
#define IST_NMI 3
#define IST_STACK_SIZE 4096

#define IDT_ENTRIES 48
#define IDT_FIRST_IRQ 32
#define IDT_INTERRUPT_GATE 0x8e /* present, DPL 0, 64-bit interrupt gate */

#define VECTOR_NMI 2
#define VECTOR_DF 8
#define VECTOR_PF 14

#define MSR_FS_BASE 0xc0000100U
#define CR4_FSGSBASE (1UL << 16)
#define CPUID_7_EBX_FSGSBASE (1U << 0)
#define RFLAGS_RESERVED 0x2     /* IF=0, IOPL=0 */

/*
 * The I/O permission bitmap covers ports up to the last hypercall port; the
 * CPU denies every port past the TSS limit.  It ends with the 0xff byte the
 * CPU needs (it always reads two bytes of the bitmap).
 */
#define IOMAP_PORTS (HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_PIO_COUNT)
#define IOMAP_OPEN_FIRST (HVT_HYPERCALL_PIO_BASE / 8)

_Static_assert(HVT_HYPERCALL_PIO_BASE % 8 == 0 &&
        HVT_HYPERCALL_PIO_COUNT % 8 == 0, "hypercall ports fill whole bytes");

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
    uint8_t iomap[IOMAP_PORTS / 8];
    uint8_t iomap_end;
} __attribute__((packed));

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct table_register {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

enum tls_method {
    TLS_WRMSR,      /* at CPL0 */
    TLS_WRFSBASE,   /* at CPL3, FSGSBASE offered and enabled */
    TLS_TRAP,       /* at CPL3 otherwise: ud2 -> CPL0 wrmsr */
};

/* Writable: the CPU marks the TSS descriptor busy on `ltr`. */
uint64_t hvt_cpu_gdt[7] __attribute__((aligned(16))) = {
    0,
    0x00af9b000000ffffULL, /* kernel code: L, P, DPL 0, exec/read, accessed */
    0x00cf93000000ffffULL, /* kernel data: G, D/B, P, DPL 0, r/w, accessed */
    0x00cff3000000ffffULL, /* user data: as kernel data, DPL 3 */
    0x00affb000000ffffULL, /* user code: as kernel code, DPL 3 */
    0, 0,                  /* TSS, filled in by tss_load() */
};
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* Static, so that boot runs no loop to build it (CPL0 may be emulated). */
struct tss hvt_cpu_tss __attribute__((aligned(16))) = {
    /* Only used if a gate had no IST; every gate has one. */
    .rsp = { (uintptr_t)&ist_stacks[IST_TRAP - 1][IST_STACK_SIZE] },
    .ist = {
        (uintptr_t)&ist_stacks[0][IST_STACK_SIZE],
        (uintptr_t)&ist_stacks[1][IST_STACK_SIZE],
        (uintptr_t)&ist_stacks[2][IST_STACK_SIZE],
    },
    .iomap_base = __builtin_offsetof(struct tss, iomap),
    .iomap = { [0 ... IOMAP_OPEN_FIRST - 1] = 0xff },
    .iomap_end = 0xff,
};
struct idt_gate hvt_cpu_idt[IDT_ENTRIES] __attribute__((aligned(16)));

_Static_assert(sizeof(hvt_cpu_gdt) - 1 == HVT_CPU_GDT_LIMIT, "GDT limit");
_Static_assert(sizeof(hvt_cpu_idt) - 1 == HVT_CPU_IDT_LIMIT, "IDT limit");
_Static_assert(sizeof(hvt_cpu_tss) - 1 == HVT_CPU_TSS_LIMIT, "TSS limit");
_Static_assert(GDT_UCODE + RPL_USER == HVT_USER_START_SEL_CODE &&
        GDT_UDATA + RPL_USER == HVT_USER_START_SEL_DATA &&
        GDT_TSS == HVT_USER_START_SEL_TSS, "the user-start selectors");

static enum tls_method tls_method = TLS_WRMSR;
static bool user_mode;
static bool user_started;
static hvt_cpu_irq_handler irq_handler;

/* Entry stubs from hvt_traps_x86_64.S: one per vector, 0 where none. */
extern const uint64_t hvt_trap_stubs[IDT_ENTRIES];
/* hvt_traps_x86_64.S: FS base = base, through the #UD stub. */
void hvt_cpu_tls_trap(uintptr_t base);

void hvt_trap_handler(struct hvt_trap_frame_x86_64 *tf);

static void gdt_load(void)
{
    struct table_register gdtr = { sizeof(hvt_cpu_gdt) - 1,
        (uintptr_t)hvt_cpu_gdt };

    /* Reload CS with a far return, then the data segments (not FS/GS:
     * that would clear the TLS base). */
    __asm__ __volatile__(
            "lgdt %0\n\t"
            "pushq %1\n\t"
            "leaq 1f(%%rip), %%rax\n\t"
            "pushq %%rax\n\t"
            "lretq\n"
            "1:\n\t"
            "movl %2, %%eax\n\t"
            "movl %%eax, %%ds\n\t"
            "movl %%eax, %%es\n\t"
            "movl %%eax, %%ss\n\t"
            :
            : "m"(gdtr), "i"(GDT_KCODE), "i"(GDT_KDATA)
            : "rax", "memory");
}

/* The TSS descriptor, as `ltr` wants it (available) or leaves it (busy). */
static void tss_descriptor(uint64_t type)
{
    uint64_t base = (uintptr_t)&hvt_cpu_tss, limit = sizeof(hvt_cpu_tss) - 1;

    hvt_cpu_gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
        (type << 40) | (((limit >> 16) & 0xf) << 48) |
        (((base >> 24) & 0xff) << 56);
    hvt_cpu_gdt[GDT_TSS / 8 + 1] = base >> 32;
}

static void tss_load(void)
{
    tss_descriptor(TSS_AVAILABLE);
    __asm__ __volatile__("ltr %w0" : : "r"(GDT_TSS) : "memory");
}

/* Loads the IDT register only: the gates are written by idt_fill(). */
static void idt_load(void)
{
    struct table_register idtr = { sizeof(hvt_cpu_idt) - 1,
        (uintptr_t)hvt_cpu_idt };

    __asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}

static void idt_fill(void)
{
    for (int v = 0; v < IDT_ENTRIES; v++) {
        uint64_t stub = hvt_trap_stubs[v];
        uint8_t ist = IST_TRAP;

        if (stub == 0)
            continue;
        if (v >= IDT_FIRST_IRQ)
            ist = IST_IRQ;
        else if (v == VECTOR_NMI || v == VECTOR_DF)
            ist = IST_NMI;
        hvt_cpu_idt[v] = (struct idt_gate) {
            .offset_low = stub & 0xffff,
            .selector = GDT_KCODE,
            .ist = ist,
            .type = IDT_INTERRUPT_GATE,
            .offset_mid = (stub >> 16) & 0xffff,
            .offset_high = stub >> 32,
        };
    }
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b)
{
    uint32_t c, d;

    __asm__ __volatile__("cpuid"
            : "=a"(*a), "=b"(*b), "=c"(c), "=d"(d)
            : "a"(leaf), "c"(sub));
}

/* At CPL0: enables wrfsbase if the (virtual) CPU says it has it. */
static bool fsgsbase_enable(void)
{
    uint32_t max, ebx;
    unsigned long cr4;

    cpuid(0, 0, &max, &ebx);
    if (max < 7)
        return false;
    cpuid(7, 0, &max, &ebx);
    if (!(ebx & CPUID_7_EBX_FSGSBASE))
        return false;
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
    __asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 | CR4_FSGSBASE));
    return true;
}

/*
 * iretq to the next instruction at CPL3, on the same stack (the bindings
 * are built without a red zone, so the pushes clobber nothing).  DS/ES get
 * the user selector; FS/GS are left alone (their base is the TLS base).
 */
static void enter_user_mode(void)
{
    __asm__ __volatile__(
            "movl %0, %%eax\n\t"
            "movl %%eax, %%ds\n\t"
            "movl %%eax, %%es\n\t"
            "movq %%rsp, %%rcx\n\t"
            "pushq %%rax\n\t"       /* SS */
            "pushq %%rcx\n\t"       /* RSP */
            "pushq %2\n\t"          /* RFLAGS */
            "pushq %1\n\t"          /* CS */
            "leaq 1f(%%rip), %%rax\n\t"
            "pushq %%rax\n\t"       /* RIP */
            "iretq\n"
            "1:"
            :
            : "i"(GDT_UDATA | RPL_USER), "i"(GDT_UCODE | RPL_USER),
              "i"(RFLAGS_RESERVED)
            : "rax", "rcx", "memory");
}

void hvt_cpu_init(bool may_use_user_mode)
{
    /* Any accidental TLS use faults in the unmapped zero page. */
    __asm__ __volatile__("wrmsr" : : "c"(MSR_FS_BASE), "a"(0), "d"(0));
    gdt_load();
    tss_load();
    idt_load();
    if (may_use_user_mode) {
        tls_method = fsgsbase_enable() ? TLS_WRFSBASE : TLS_TRAP;
        user_mode = true;
        enter_user_mode();
    }
    /* At CPL3 this loop runs natively; a fault before it is done would be
     * a triple fault either way. */
    idt_fill();
}

/*
 * At CPL3, started there by the tender with GDTR, IDTR and TR loaded from
 * the user-start header, FS base 0, and CR4.FSGSBASE set if `fsgsbase`
 * (the header's contract, include/solo5/hvt_abi.h; no CPUID here: at CPL3
 * on kvm-pvm it is a trip to the hypervisor below).  The GDT's TSS
 * descriptor is written as `ltr` would have left it, for anyone who reads
 * the table; the CPU uses the loaded TR.
 */
void hvt_cpu_init_user(bool fsgsbase)
{
    user_mode = true;
    user_started = true;
    tls_method = fsgsbase ? TLS_WRFSBASE : TLS_TRAP;
    tss_descriptor(TSS_BUSY);
    idt_fill();
}

bool hvt_cpu_user_started(void)
{
    return user_started;
}

void hvt_cpu_set_tls_base(uintptr_t base)
{
    switch (tls_method) {
    case TLS_WRMSR:
        __asm__ __volatile__("wrmsr"
                :
                : "c"(MSR_FS_BASE), "a"((uint32_t)base),
                  "d"((uint32_t)(base >> 32)));
        break;
    case TLS_WRFSBASE:
        __asm__ __volatile__("wrfsbase %0" : : "r"(base) : "memory");
        break;
    case TLS_TRAP:
        hvt_cpu_tls_trap(base);
        break;
    }
}

void hvt_cpu_halt(void)
{
    /* hlt (and cli) would #GP at CPL3; the tender never resumes us anyway. */
    if (!user_mode)
        bindings_cpu_halt();
    for (;;)
        __asm__ __volatile__("pause");
}

void hvt_cpu_set_irq_handler(hvt_cpu_irq_handler handler)
{
    irq_handler = handler;
}

static const char *const trap_names[IDT_FIRST_IRQ] = {
    "#DE", "#DB", "#NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#9", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#21", "#22", "#23",
    "#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31",
};

/* Called by the entry stubs with interrupts off, at CPL0 on an IST stack. */
void hvt_trap_handler(struct hvt_trap_frame_x86_64 *tf)
{
    if (tf->vector >= IDT_FIRST_IRQ) {
        if (irq_handler != NULL && irq_handler((unsigned)tf->vector))
            return;
        bindings_log(BINDINGS_LOG_WARN, "Solo5: ignoring interrupt %lu\n",
                (unsigned long)tf->vector);
        return;
    }
    bindings_log(BINDINGS_LOG_ERROR,
            "Solo5: trap: type=%s ec=0x%lx rip=0x%lx rsp=0x%lx rflags=0x%lx\n",
            trap_names[tf->vector], (unsigned long)tf->error_code,
            (unsigned long)tf->rip, (unsigned long)tf->rsp,
            (unsigned long)tf->rflags);
    if (tf->vector == VECTOR_PF)
        bindings_log(BINDINGS_LOG_ERROR, "Solo5: trap: cr2=0x%lx\n",
                (unsigned long)tf->cr2);
    /* The frame is the HALT cookie: dumpcore takes the registers from it. */
    bindings_abort_cookie(tf, __FILE_NAME__, __LINE__, "Fatal trap");
}
