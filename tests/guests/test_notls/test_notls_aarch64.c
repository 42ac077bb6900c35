/* test_notls_aarch64.c: a read of the word at TPIDR_EL0 + 0x10 (the first
 * TLS variable's place in variant I). */
#include "guest.h"

uint64_t notls_read(void)
{
    uint64_t value;

    __asm__ __volatile__("mrs %0, tpidr_el0\n\t"
                         "ldr %0, [%0, #0x10]"
                         : "=r"(value)
                         :
                         : "memory");
    return value;
}
