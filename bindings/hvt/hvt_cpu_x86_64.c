/*
 * hvt_cpu_x86_64.c: the guest's own GDT, TSS and IDT, and fatal traps.
 *
 * The tender's boot GDT lives in a page the guest cannot even see, so the
 * bindings load their own: null, code (0x08), data (0x10) and a 64-bit TSS
 * (0x18) whose interrupt stack table gives traps, NMI/#DF and IRQs their
 * own 4 KiB stacks (a trap on a broken stack still gets reported).  Every
 * IDT entry is an interrupt gate.  Interrupts are never enabled; the IRQ
 * vectors exist only so that a stray one is ignored rather than fatal.
 */
#include "hvt.h"

#define GDT_CODE 0x08
#define GDT_DATA 0x10
#define GDT_TSS 0x18

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

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
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

/* Writable: the CPU marks the TSS descriptor busy on `ltr`. */
static uint64_t gdt[5] __attribute__((aligned(16))) = {
    0,
    0x00af9b000000ffffULL, /* code: L, P, DPL 0, execute/read, accessed */
    0x00cf93000000ffffULL, /* data: G, D/B, P, DPL 0, read/write, accessed */
    0, 0,                  /* TSS, filled in by gdt_set_tss() */
};
static struct tss tss __attribute__((aligned(16)));
static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* Entry stubs from hvt_traps_x86_64.S: one per vector, 0 where none. */
extern const uint64_t hvt_trap_stubs[IDT_ENTRIES];

void hvt_trap_handler(struct hvt_trap_frame_x86_64 *tf);

static void gdt_set_tss(void)
{
    uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;

    gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
        (0x89ULL << 40) /* present, 64-bit TSS (available) */ |
        (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[GDT_TSS / 8 + 1] = base >> 32;
}

static void gdt_load(void)
{
    struct table_register gdtr = { sizeof(gdt) - 1, (uintptr_t)gdt };

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
            : "m"(gdtr), "i"(GDT_CODE), "i"(GDT_DATA)
            : "rax", "memory");
}

static void tss_load(void)
{
    for (int i = 0; i < 3; i++)
        tss.ist[i] = (uintptr_t)&ist_stacks[i][IST_STACK_SIZE];
    tss.iomap_base = sizeof(tss);
    gdt_set_tss();
    __asm__ __volatile__("ltr %w0" : : "r"(GDT_TSS) : "memory");
}

static void idt_load(void)
{
    struct table_register idtr = { sizeof(idt) - 1, (uintptr_t)idt };

    for (int v = 0; v < IDT_ENTRIES; v++) {
        uint64_t stub = hvt_trap_stubs[v];
        uint8_t ist = IST_TRAP;

        if (stub == 0)
            continue;
        if (v >= IDT_FIRST_IRQ)
            ist = IST_IRQ;
        else if (v == VECTOR_NMI || v == VECTOR_DF)
            ist = IST_NMI;
        idt[v] = (struct idt_gate) {
            .offset_low = stub & 0xffff,
            .selector = GDT_CODE,
            .ist = ist,
            .type = IDT_INTERRUPT_GATE,
            .offset_mid = (stub >> 16) & 0xffff,
            .offset_high = stub >> 32,
        };
    }
    __asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}

void hvt_cpu_init(void)
{
    gdt_load();
    tss_load();
    idt_load();
}

void hvt_cpu_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("wrmsr"
            :
            : "c"(MSR_FS_BASE), "a"((uint32_t)base),
              "d"((uint32_t)(base >> 32)));
}

static const char *const trap_names[IDT_FIRST_IRQ] = {
    "#DE", "#DB", "#NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#9", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#21", "#22", "#23",
    "#24", "#25", "#26", "#27", "#28", "#29", "#30", "#31",
};

/* Called by the entry stubs with interrupts off, on an IST stack. */
void hvt_trap_handler(struct hvt_trap_frame_x86_64 *tf)
{
    if (tf->vector >= IDT_FIRST_IRQ) {
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
