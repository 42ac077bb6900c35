/*
 * spt_launch_aarch64.c: the aarch64 facts of the launch (spt_launch.c).
 *
 * The launch code resets the FP/SIMD registers itself (v0-v31, FPCR and
 * FPSR to zero: glibc's string functions leave the tender's data there),
 * so the block's architecture part holds nothing.  The top of user space
 * depends on the kernel's virtual address size (39, 42, 47 or 48 bits; a
 * 52-bit kernel maps above 48 bits only on request, as x86_64's 5-level
 * paging): it is the smallest of those that lies above this function's
 * stack, which the kernel puts right below it.
 */
#include <stdint.h>
#include <string.h>

#include "spt.h"
#include "spt_launch.h"

uint64_t spt_launch_user_top(void)
{
    static const unsigned va_bits[] = { 39, 42, 47, 48 };
    uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);

    for (unsigned i = 0; i < sizeof(va_bits) / sizeof(va_bits[0]); i++)
        if (sp < (1ULL << va_bits[i]))
            return 1ULL << va_bits[i];
    return 1ULL << 48;
}

void spt_launch_arch_setup(uint8_t *arch)
{
    memset(arch, 0, SPT_LAUNCH_ARCH_SIZE);
}
