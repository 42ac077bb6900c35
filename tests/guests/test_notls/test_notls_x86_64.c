/* test_notls_x86_64.c: a read of %fs:0x28, the stack-protector slot. */
#include "guest.h"

uint64_t notls_read(void)
{
    uint64_t value;

    __asm__ __volatile__("movq %%fs:0x28, %0" : "=r"(value) : : "memory");
    return value;
}
