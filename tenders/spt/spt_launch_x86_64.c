/*
 * spt_launch_x86_64.c: the x86_64 facts of the launch (spt_launch.c).
 *
 * The vector registers: glibc's string functions leave the tender's
 * pointers and data in XMM/YMM/ZMM registers (a guest read stack, heap and
 * library addresses from them).  The launch code resets them with XRSTOR
 * from a header with no component present, which puts every component of
 * the mask in its init state; without XSAVE, FXRSTOR of a clean legacy
 * area.  The mask is XCR0's x87, SSE, AVX, MPX and AVX-512 bits: PKRU
 * keeps the kernel's value, and AMX (whose use needs permission the tender
 * never asked for) was never touched.
 */
#include <cpuid.h>
#include <stdint.h>
#include <string.h>

#include "spt.h"
#include "spt_launch.h"
#include "spt_launch_x86_64.h"

#define CPUID_1_ECX_OSXSAVE (1U << 27)
#define XCR0_RESET_MASK 0xffULL     /* x87 SSE AVX BNDREGS BNDCSR K ZMM_H Hi16 */
#define FCW_INIT 0x037f
#define MXCSR_INIT 0x1f80
#define LEGACY_MXCSR 24

/* Everything above guest memory that a process can map: 47-bit user
 * addresses (with 5-level paging, mappings above them only exist on
 * request, and the tender makes none). */
uint64_t spt_launch_user_top(void)
{
    return 0x7ffffffff000ULL;
}

_Static_assert(SPT_LAUNCH_X86_XSAVE_AREA + SPT_LAUNCH_X86_XSAVE_SIZE <=
        SPT_LAUNCH_ARCH_SIZE, "the XSAVE area must fit the arch part");
_Static_assert(SPT_LAUNCH_ARCH % 64 == 0 && SPT_LAUNCH_X86_XSAVE_AREA % 64 == 0,
        "XRSTOR needs a 64-byte aligned area");

static uint64_t xcr0(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

void spt_launch_arch_setup(uint8_t *arch)
{
    uint8_t *area = arch + SPT_LAUNCH_X86_XSAVE_AREA;
    uint16_t fcw = FCW_INIT;
    uint32_t mxcsr = MXCSR_INIT;
    unsigned eax, ebx, ecx = 0, edx;
    uint64_t mask = 0;

    memset(arch, 0, SPT_LAUNCH_ARCH_SIZE);
    memcpy(area, &fcw, sizeof(fcw));
    memcpy(area + LEGACY_MXCSR, &mxcsr, sizeof(mxcsr));
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & CPUID_1_ECX_OSXSAVE))
        mask = xcr0() & XCR0_RESET_MASK;
    memcpy(arch + SPT_LAUNCH_X86_XRSTOR_MASK, &mask, sizeof(mask));
}
