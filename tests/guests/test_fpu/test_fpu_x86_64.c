/* test_fpu_x86_64.c: SSE movaps/mulps. */
#include "guest.h"

void fpu_square4(const float *in, float *out);

void fpu_square4(const float *in, float *out)
{
    __asm__ __volatile__(
        "movaps (%1), %%xmm0\n\t"
        "mulps %%xmm0, %%xmm0\n\t"
        "movaps %%xmm0, (%0)"
        :
        : "r"(out), "r"(in)
        : "xmm0", "memory");
}
