/*
 * runtime.c: the core of a language-runtime-like unikernel, archived into
 * libruntime.a.  What a runtime such as OCaml's does that a plain test
 * guest does not: it brings its own libc pieces (memset), allocates its
 * heap from the Solo5 heap and touches all of it, runs code on stacks it
 * allocated (fibers) and unwinds deep recursion with a longjmp, all from
 * code built with the compiler's defaults (SSE included).
 *
 * rt_main() returns 0 when every check passed, else the number of the
 * first that failed.  The float work and the printing are in libapp.a
 * (app.c), which calls back into rt_print() from this archive's print.o,
 * used by nothing else: the two archives need each other, as OCaml's
 * runtime and nolibc do (--start-group).
 */
#include "solo5.h"

struct ctx {
    unsigned long regs[8];
};

long ctx_save(struct ctx *c);
void ctx_jump(struct ctx *c, long v) __attribute__((noreturn));
void ctx_start(void *stack_top, void (*fn)(void)) __attribute__((noreturn));

/* From libapp.a, which prints through print.o of this archive. */
void app_say(const char *s);
void app_say_ulong(unsigned long v);
double app_work(unsigned long n);
void app_say_double(double d);

#define MIB (1024UL * 1024UL)
#define HEAP_WANTED (12 * MIB)
#define FIBER_STACK (256 * 1024UL)

/* gcc turns the fill loops of -O2 code into memset() calls: a freestanding
 * program brings its own. */
void *memset(void *dst, int c, unsigned long n)
{
    unsigned char *d = dst;

    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

static int heap_check(unsigned char *heap, unsigned long size)
{
    memset(heap, 0x5a, size);
    for (unsigned long off = 0; off < size; off += 4096)
        heap[off] = (unsigned char)(off >> 12);
    for (unsigned long off = 0; off < size; off++) {
        unsigned char want = off % 4096 ? 0x5a : (unsigned char)(off >> 12);
        if (heap[off] != want)
            return 0;
    }
    return 1;
}

static struct ctx back;
static volatile unsigned long fiber_depth_reached;

static unsigned long fiber_recurse(unsigned long depth)
{
    volatile unsigned char frame[64];

    frame[0] = (unsigned char)depth;
    fiber_depth_reached = depth;
    if (depth == 2000)
        return 0;
    return fiber_recurse(depth + 1) + (frame[0] & 1);
}

static void fiber(void)
{
    unsigned long r = fiber_recurse(0);
    ctx_jump(&back, (long)r + 1);
}

static struct ctx unwind;

static void deep(int depth)
{
    if (depth == 500)
        ctx_jump(&unwind, 7);
    if (depth < 1000)
        deep(depth + 1);
    fiber_depth_reached++; /* not a tail call */
}

int rt_main(const struct solo5_start_info *si)
{
    unsigned char *heap = (unsigned char *)si->heap_start;

    if (si->heap_size < HEAP_WANTED + FIBER_STACK)
        return 1;
    if (!heap_check(heap, HEAP_WANTED))
        return 2;
    app_say("runtime: heap ok, MiB: ");
    app_say_ulong(HEAP_WANTED / MIB);
    app_say("\n");

    long v = ctx_save(&back);
    if (v == 0)
        ctx_start(heap + HEAP_WANTED + FIBER_STACK, fiber);
    if (v != 1000 + 1 || fiber_depth_reached != 2000)
        return 3;
    app_say("runtime: fiber ok\n");

    v = ctx_save(&unwind);
    if (v == 0)
        deep(0);
    if (v != 7)
        return 4;
    app_say("runtime: longjmp ok\n");

    double d = app_work(100000);
    if (d < 1.64492 || d > 1.64494)
        return 5;
    app_say("runtime: floats ok ");
    app_say_double(d);
    app_say("\n");
    return 0;
}
