/* test_fpu: vector registers (test_fpu_<arch>.c: x86_64 SSE movaps/mulps,
 * aarch64 ldr q/fmul v.4s/str q on an aligned float[4]) and scalar float
 * math. */
#include "guest.h"

/* out[i] = in[i] * in[i] with the architecture's vector instructions. */
void fpu_square4(const float *in, float *out);

int solo5_app_main(const struct solo5_start_info *si)
{
    static _Alignas(16) float in[4] = { 2.0f, 5.0f, 3.0f, 8.0f };
    static _Alignas(16) float out[4];
    volatile float x = 3.0f;
    float scalar;

    (void)si;
    guest_banner("test_fpu");

    fpu_square4(in, out);
    scalar = x * 2.5f;

    if (out[0] != 4.0f || out[1] != 25.0f || out[2] != 9.0f || out[3] != 64.0f)
        return guest_failure("vector results are not 4, 25, 9, 64");
    if (scalar != 7.5f)
        return guest_failure("3.0 * 2.5 is not 7.5");
    return guest_success();
}
