/*
 * bindings_ssp.c: the stack protector's canary and failure handler.
 *
 * Everything is compiled with -fstack-protector-strong and
 * -mstack-protector-guard=global, so the canary is this one global word
 * rather than %fs:0x28 (the TLS base is 0 at start).
 */
#include "bindings.h"

/* The link-time value: a NUL, a CR/LF and a NUL around a recognisable
 * pattern; replaced at start-up by bindings_ssp_init(). */
uintptr_t __stack_chk_guard = 0x00deadbeef0d0a00ULL;

void __stack_chk_fail(void) BINDINGS_NORETURN;

void bindings_ssp_init(void)
{
    uint64_t low = bindings_cpu_cycles();
    uint64_t high = bindings_cpu_cycles();
    uint64_t canary = low + (high << 32);

    /* A NUL in the second byte stops string overflows from copying past it. */
    canary &= ~(uint64_t)0xff00;
    __stack_chk_guard = canary;
}

void __stack_chk_fail(void)
{
    static const char msg[] = "Solo5: ABORT: Stack corruption detected\n";

    /* No formatting, no log level: the stack is not to be trusted. */
    platform_console_write(msg, sizeof(msg) - 1);
    platform_exit(SOLO5_EXIT_ABORT, NULL);
}
