/* test_fpu: SSE (movaps/mulps on an aligned float[4]) and scalar float math. */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    static _Alignas(16) float in[4] = { 2.0f, 5.0f, 3.0f, 8.0f };
    static _Alignas(16) float out[4];
    volatile float x = 3.0f;
    float scalar;

    (void)si;
    guest_banner("test_fpu");

    __asm__ __volatile__(
        "movaps %1, %%xmm0\n\t"
        "mulps %%xmm0, %%xmm0\n\t"
        "movaps %%xmm0, %0"
        : "=m"(out)
        : "m"(in)
        : "xmm0");
    scalar = x * 2.5f;

    if (out[0] != 4.0f || out[1] != 25.0f || out[2] != 9.0f || out[3] != 64.0f)
        return guest_failure("SSE results are not 4, 25, 9, 64");
    if (scalar != 7.5f)
        return guest_failure("3.0 * 2.5 is not 7.5");
    return guest_success();
}
