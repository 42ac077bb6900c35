/*
 * xen_hypercall_x86_64.c: finding Xen and calling it.
 *
 * Xen's CPUID leaves start at 0x40000000, or 0x100 higher per interface
 * Xen shows before its own (Viridian); leaf base+2 names the MSR that
 * makes Xen write the hypercall stubs into a page of ours.  Hypercall nr
 * is then `call page + 32 * nr`, arguments in RDI, RSI, RDX, R10, R8,
 * result in RAX.  (Upstream writes the page address to MSR `base` rather
 * than the MSR leaf base+2 names; the two agree only for base 0x40000000.)
 */
#include "xen.h"

#define XEN_CPUID_FIRST 0x40000000U
#define XEN_CPUID_LAST 0x4000ff00U
#define XEN_CPUID_STEP 0x100U
#define XEN_CPUID_MIN_LEAVES 2
#define XEN_HYPERCALL_STUB_SIZE 32
#define X86_RET 0xc3

extern uint8_t solo5__xen_HYPERCALL_PAGE[];

static long hypercall3(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t rdi __asm__("rdi") = a1;
    register uint64_t rsi __asm__("rsi") = a2;
    register uint64_t rdx __asm__("rdx") = a3;
    long ret;

    /* Xen may clobber every argument register. */
    __asm__ __volatile__("call *%[stub]"
            : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)
            : [stub] "r"(solo5__xen_HYPERCALL_PAGE +
                  nr * XEN_HYPERCALL_STUB_SIZE)
            : "r8", "r10", "memory");
    return ret;
}

/* "XenVMMXenVMM" in EBX, ECX, EDX. */
static bool is_xen_leaf(const uint32_t r[4])
{
    return r[1] == 0x566e6558U && r[2] == 0x65584d4dU && r[3] == 0x4d4d566eU;
}

bool xen_hypercall_init(void)
{
    uint32_t r[4];

    for (uint32_t base = XEN_CPUID_FIRST; base <= XEN_CPUID_LAST;
            base += XEN_CPUID_STEP) {
        bindings_cpu_cpuid(base, r);
        if (!is_xen_leaf(r) || r[0] - base < XEN_CPUID_MIN_LEAVES)
            continue;
        /* Leaf base+2: EAX = hypercall pages, EBX = the MSR to write. */
        bindings_cpu_cpuid(base + 2, r);
        if (r[0] < 1)
            return false;
        bindings_cpu_wrmsr(r[1], (uintptr_t)solo5__xen_HYPERCALL_PAGE);
        return solo5__xen_HYPERCALL_PAGE[0] != X86_RET;
    }
    return false;
}

long xen_hypercall_memory_op(unsigned cmd, void *arg)
{
    return hypercall3(__HYPERVISOR_memory_op, cmd, (uintptr_t)arg, 0);
}

long xen_hypercall_hvm_op(unsigned cmd, void *arg)
{
    return hypercall3(__HYPERVISOR_hvm_op, cmd, (uintptr_t)arg, 0);
}

long xen_hypercall_event_channel_op(unsigned cmd, void *arg)
{
    return hypercall3(__HYPERVISOR_event_channel_op, cmd, (uintptr_t)arg, 0);
}

long xen_hypercall_sched_op(unsigned cmd, void *arg)
{
    return hypercall3(__HYPERVISOR_sched_op, cmd, (uintptr_t)arg, 0);
}

long xen_hypercall_set_timer_op(uint64_t deadline)
{
    return hypercall3(__HYPERVISOR_set_timer_op, deadline, 0, 0);
}

long xen_hypercall_console_io(unsigned cmd, unsigned size, const char *buf)
{
    return hypercall3(__HYPERVISOR_console_io, cmd, size, (uintptr_t)buf);
}
