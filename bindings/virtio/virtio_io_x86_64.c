/*
 * virtio_io_x86_64.c: port I/O and the few privileged instructions the
 * virtio bindings need.
 */
#include "virtio.h"

uint8_t virtio_inb(uint16_t port)
{
    uint8_t v;

    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

uint16_t virtio_inw(uint16_t port)
{
    uint16_t v;

    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

uint32_t virtio_inl(uint16_t port)
{
    uint32_t v;

    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

void virtio_outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

void virtio_outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

void virtio_outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

void virtio_cpu_pause(void)
{
    __asm__ __volatile__("pause" : : : "memory");
}

void virtio_cpu_cpuid(uint32_t leaf, uint32_t regs[4])
{
    __asm__ __volatile__("cpuid"
            : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
            : "a"(leaf), "c"(0));
}

void virtio_cpu_wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ __volatile__("wrmsr"
            :
            : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
            : "memory");
}

void virtio_cpu_switch_stack(uintptr_t top, void (*fn)(void))
{
    /* As if fn had been called: (rsp + 8) % 16 == 0 on entry. */
    __asm__ __volatile__(
            "movq %0, %%rsp\n\t"
            "xorl %%ebp, %%ebp\n\t"
            "pushq $0\n\t"
            "jmp *%1"
            :
            : "r"(top & ~(uintptr_t)15), "r"(fn)
            : "memory");
    __builtin_unreachable();
}
