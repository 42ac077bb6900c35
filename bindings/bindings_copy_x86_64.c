/*
 * bindings_copy_x86_64.c: memcpy and memset as the CPU's string
 * instructions.  The byte loops they were moved about a byte a cycle: a
 * 4 KiB block read from hvt's read-ahead window took 1.5-2 us, more than
 * the host's own pread of it (docs/performance.md, "Round 7").  `rep
 * movsb` moves a cache line or more a cycle on CPUs with ERMS (every Intel
 * x86_64 CPU since 2013, AMD since Zen 3) and is no slower than the loop
 * elsewhere.  The ABI has the direction flag clear at every call.
 */
#include "bindings.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;

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
