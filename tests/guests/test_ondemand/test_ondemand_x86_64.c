/* test_ondemand_x86_64.c: the first touch of a page by the instructions
 * solo5-hvt's memory on demand must serve (see test_ondemand.c). */
#include "guest.h"
#include "test_ondemand.h"

void touch_sse_store(void *at, const void *from)
{
    __asm__ __volatile__("movdqu (%1), %%xmm0\n\tmovdqu %%xmm0, (%0)"
            : : "r"(at), "r"(from) : "xmm0", "memory");
}

void touch_sse_load(void *to, const void *at)
{
    __asm__ __volatile__("movdqu (%1), %%xmm0\n\tmovdqu %%xmm0, (%0)"
            : : "r"(to), "r"(at) : "xmm0", "memory");
}

void touch_rep_stos(void *at, uint8_t value, size_t n)
{
    __asm__ __volatile__("rep stosb"
            : "+D"(at), "+c"(n) : "a"(value) : "memory");
}

void touch_rep_movs(void *at, const void *from, size_t n)
{
    __asm__ __volatile__("rep movsb"
            : "+D"(at), "+S"(from), "+c"(n) : : "memory");
}

uint64_t touch_lock_xadd(uint64_t *at, uint64_t add)
{
    __asm__ __volatile__("lock xaddq %0, (%1)"
            : "+r"(add) : "r"(at) : "memory");
    return add;
}
