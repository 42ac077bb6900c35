/* test_fpu_aarch64.c: Advanced SIMD ldr q/fmul v.4s/str q. */
#include "guest.h"

void fpu_square4(const float *in, float *out);

void fpu_square4(const float *in, float *out)
{
    __asm__ __volatile__(
        "ldr q0, [%1]\n\t"
        "fmul v0.4s, v0.4s, v0.4s\n\t"
        "str q0, [%0]"
        :
        : "r"(out), "r"(in)
        : "v0", "memory");
}
