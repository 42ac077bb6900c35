/* app.c: the "program" of the runtime-like unikernel, archived into
 * libapp.a: double-precision work, compiled with the compiler's defaults
 * (SSE2 on x86_64), and printing through libruntime.a's print.o. */
void rt_print(const char *s);
void rt_print_ulong(unsigned long v);

/* The Basel series, summed from the small end for accuracy: pi^2/6. */
double app_work(unsigned long n)
{
    double sum = 0.0;

    for (unsigned long k = n; k >= 1; k--)
        sum += 1.0 / ((double)k * (double)k);
    return sum;
}

void app_say(const char *s)
{
    rt_print(s);
}

void app_say_ulong(unsigned long v)
{
    rt_print_ulong(v);
}

/* d >= 0 with six decimals, like printf("%.6f"). */
void app_say_double(double d)
{
    unsigned long whole = (unsigned long)d;
    unsigned long frac = (unsigned long)((d - (double)whole) * 1e6 + 0.5);
    char digits[7];

    rt_print_ulong(whole);
    rt_print(".");
    for (int i = 5; i >= 0; i--) {
        digits[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    digits[6] = '\0';
    rt_print(digits);
}
