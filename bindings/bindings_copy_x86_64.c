/*
 * bindings_copy_x86_64.c: memcpy and memset as the CPU's string
 * instructions.  The byte loops they were moved about a byte a cycle: a
 * 4 KiB block read from hvt's read-ahead window took 1.5-2 us, more than
 * the host's own pread of it (docs/performance.md, "Round 7").  `rep
 * movsb` moves a cache line or more a cycle on CPUs with ERMS (every Intel
 * x86_64 CPU since 2013, AMD since Zen 3); short copies stay a loop,
 * where CPUs without fast short strings (FSRM) pay `rep`'s start-up.  The
 * ABI has the direction flag clear at every call, and the trap entry
 * clears it for the handler (hvt_traps_x86_64.S).
 */
#include "bindings.h"

/* Below this, a byte loop (rep's start-up is 20-35 cycles without FSRM). */
#define BINDINGS_COPY_REP_MIN 32

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;

    if (n < BINDINGS_COPY_REP_MIN) {
        unsigned char *b = dst;
        const unsigned char *s = src;

        while (n--)
            *b++ = *s++;
        return dst;
    }
    __asm__ __volatile__("rep movsb"
            : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;

    __asm__ __volatile__("rep stosb"
            : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}
