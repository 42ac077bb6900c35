/*
 * hvt_cpu_aarch64.c: exception vectors and stacks, TLS, halting, and fatal
 * traps on aarch64.
 *
 * The tender starts the vCPU at EL1 on SP_EL1 (EL1h) with the MMU, caches
 * and FP/SIMD on and every interrupt masked (ref A2.2).  The bindings then
 * run everything else (boot, application) on SP_EL0 (EL1t), at the same
 * address, and give SP_EL1 a stack of its own: exceptions are taken on
 * SP_EL1, so a trap caused by a broken or overflowed stack still gets
 * reported (upstream's handler runs on the faulting stack).  Interrupts are
 * never unmasked; EL0 never runs (the page tables give it no access).
 * HVT_FEATURE_USER_MODE is an x86_64 bit: it is never offered here.
 */
#include "hvt.h"

#define TRAP_STACK_SIZE 8192

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_INSN_ABORT_LOWER 0x20
#define EC_INSN_ABORT 0x21
#define EC_DATA_ABORT_LOWER 0x24
#define EC_DATA_ABORT 0x25
#define VECTOR_SPX_FIRST 4      /* EL1h: the frame is on the faulting SP */
#define VECTOR_LOWER_FIRST 8    /* from EL0: never expected */

/* What the vectors save (hvt_traps_aarch64.S has the offsets). */
struct hvt_trap_frame_aarch64 {
    uint64_t x[31];
    uint64_t sp_el0;
    uint64_t pc;                /* ELR_EL1 */
    uint64_t pstate;            /* SPSR_EL1 */
    uint64_t esr;
    uint64_t far;
    uint64_t vector;            /* slot 0-15 */
    uint64_t pad;
};

_Static_assert(sizeof(struct hvt_trap_frame_aarch64) == 304,
        "hvt_traps_aarch64.S: FRAME_SIZE");
_Static_assert(__builtin_offsetof(struct hvt_trap_frame_aarch64, vector) ==
        288, "hvt_traps_aarch64.S: FRAME_VECTOR");

extern const char hvt_trap_vectors[];
void hvt_trap_handler(struct hvt_trap_frame_aarch64 *tf) BINDINGS_NORETURN;

static uint8_t trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));

bool hvt_cpu_user_started(void)
{
    return false;
}

void hvt_cpu_init(bool may_use_user_mode)
{
    uintptr_t trap_sp = (uintptr_t)&trap_stack[TRAP_STACK_SIZE];

    (void)may_use_user_mode;
    /* TLS base 0: an accidental TLS use faults in the unmapped zero page
     * (KVM resets TPIDR_EL0 to a poison value). */
    __asm__ __volatile__("msr tpidr_el0, xzr\n\t"
            "msr vbar_el1, %0\n\t"
            "isb"
            : : "r"(hvt_trap_vectors) : "memory");
    /* SP_EL0 takes over the current stack; SP_EL1 becomes the trap stack.
     * The compiler's SP is the same number before and after. */
    __asm__ __volatile__(
            "mov x9, sp\n\t"
            "msr sp_el0, x9\n\t"
            "mov sp, %0\n\t"
            "msr spsel, #0\n\t"
            "isb"
            :
            : "r"(trap_sp)
            : "x9", "memory");
}

void hvt_cpu_set_tls_base(uintptr_t base)
{
    __asm__ __volatile__("msr tpidr_el0, %0" : : "r"(base) : "memory");
}

void hvt_cpu_halt(void)
{
    bindings_cpu_halt();
}

static const char *const vector_names[] = {
    "sync", "irq", "fiq", "serror",
};

/* A name for the exception class of a synchronous exception. */
static const char *trap_class(uint64_t esr)
{
    switch (ESR_EC(esr)) {
    case 0x00: return "undefined";
    case 0x0e: return "illegal-state";
    case 0x15: return "svc";
    case 0x18: return "sysreg";
    case EC_INSN_ABORT_LOWER:
    case EC_INSN_ABORT: return "instruction-abort";
    case 0x22: return "pc-alignment";
    case EC_DATA_ABORT_LOWER:
    case EC_DATA_ABORT: return "data-abort";
    case 0x26: return "sp-alignment";
    case 0x2c: return "fp-exception";
    case 0x3c: return "brk";
    default: return "sync";
    }
}

/* Called by the vectors on SP_EL1, interrupts masked; never returns. */
void hvt_trap_handler(struct hvt_trap_frame_aarch64 *tf)
{
    static bool in_trap;
    uint64_t ec = ESR_EC(tf->esr), sp = tf->sp_el0;
    unsigned kind = tf->vector & 3;

    /* A trap while reporting one: report nothing more. */
    if (in_trap)
        platform_exit(SOLO5_EXIT_ABORT, NULL);
    in_trap = true;
    if (tf->vector >= VECTOR_SPX_FIRST && tf->vector < VECTOR_LOWER_FIRST)
        sp = (uintptr_t)tf + sizeof(*tf);
    bindings_log(BINDINGS_LOG_ERROR,
            "Solo5: trap: type=%s%s esr=0x%lx pc=0x%lx sp=0x%lx "
            "pstate=0x%lx\n", kind == 0 ? trap_class(tf->esr) :
            vector_names[kind], tf->vector >= VECTOR_LOWER_FIRST ?
            " (from EL0)" : "", (unsigned long)tf->esr,
            (unsigned long)tf->pc, (unsigned long)sp,
            (unsigned long)tf->pstate);
    if (kind == 0 && (ec == EC_DATA_ABORT || ec == EC_DATA_ABORT_LOWER ||
                ec == EC_INSN_ABORT || ec == EC_INSN_ABORT_LOWER))
        bindings_log(BINDINGS_LOG_ERROR, "Solo5: trap: far=0x%lx\n",
                (unsigned long)tf->far);
    /* The frame is the HALT cookie, as on x86_64. */
    bindings_abort_cookie(tf, __FILE_NAME__, __LINE__, "Fatal trap");
}
