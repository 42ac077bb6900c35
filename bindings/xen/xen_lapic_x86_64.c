/*
 * xen_lapic_x86_64.c: the local APIC Xen emulates for a PVH domain; it
 * delivers the event-channel upcall vector and wants an EOI for it.
 * Registers through MMIO in xAPIC mode, through MSRs if Xen started us in
 * x2APIC mode.
 */
#include "xen.h"

#define MSR_APIC_BASE 0x1bU
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_ADDRESS 0xfee00000ULL
#define MSR_X2APIC_FIRST 0x800U

#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_SVR_ENABLE 0x100

static bool x2apic;

static uint32_t lapic_read(unsigned reg)
{
    if (x2apic)
        return (uint32_t)bindings_cpu_rdmsr(MSR_X2APIC_FIRST + (reg >> 4));
    return *(volatile uint32_t *)(uintptr_t)(APIC_BASE_ADDRESS + reg);
}

static void lapic_write(unsigned reg, uint32_t value)
{
    if (x2apic)
        bindings_cpu_wrmsr(MSR_X2APIC_FIRST + (reg >> 4), value);
    else
        *(volatile uint32_t *)(uintptr_t)(APIC_BASE_ADDRESS + reg) = value;
}

void xen_lapic_init(void)
{
    uint64_t base = bindings_cpu_rdmsr(MSR_APIC_BASE);

    if (!(base & APIC_BASE_ENABLE)) {
        bindings_cpu_wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
        base = bindings_cpu_rdmsr(MSR_APIC_BASE);
    }
    x2apic = base & APIC_BASE_X2APIC;
    if (!(base & APIC_BASE_ENABLE) || !(base & APIC_BASE_BSP) ||
            (!x2apic && (base & ~0xfffULL) != APIC_BASE_ADDRESS))
        BINDINGS_PANIC("Could not enable APIC or not present (0x%llx)",
                (unsigned long long)base);
    if ((lapic_read(LAPIC_VERSION) & 0xff) == 0)
        BINDINGS_PANIC("no local APIC version");
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, (lapic_read(LAPIC_SVR) & ~0xffU) |
            LAPIC_SVR_ENABLE | XEN_SPURIOUS_VECTOR);
}

void xen_lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}
