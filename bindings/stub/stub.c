/*
 * stub.c: the "stub" bindings, linked when no -z solo5-abi= is given.
 *
 * They define every symbol of the API so that a unikernel links, and do
 * nothing: _start, exit and abort spin, the clocks return ~0 and I/O fails
 * with EUNSPEC (stub_devices.c).  A stub unikernel has no ABI note: no tender runs it.
 * Self-contained on purpose: it uses none of the shared bindings code.
 *
 * It references nothing outside itself, solo5_app_main included: it is the
 * default link of the cc wrapper, so that the probes of build systems
 * (autoconf's "does the C compiler create executables", AC_LINK_IFELSE,
 * OCaml's configure) link a plain `int main(void)` program, as they do with
 * upstream Solo5.  Every real target still needs solo5_app_main.
 */
#include "solo5.h"

#define STUB_NORETURN __attribute__((noreturn))

void _start(void *arg) STUB_NORETURN;
void __stack_chk_fail(void) STUB_NORETURN;

uintptr_t __stack_chk_guard = 0x00deadbeef0d0a00ULL;

static void STUB_NORETURN stub_spin(void)
{
    for (;;)
        __asm__ __volatile__("" ::: "memory");
}

void _start(void *arg)
{
    (void)arg;
    stub_spin();
}

void __stack_chk_fail(void)
{
    stub_spin();
}

void solo5_exit(int status)
{
    (void)status;
    stub_spin();
}

void solo5_abort(void)
{
    stub_spin();
}

size_t solo5_tls_size(void)
{
    return 0;
}

uintptr_t solo5_tls_tp_offset(uintptr_t tls)
{
    return tls;
}

solo5_result_t solo5_tls_init(uintptr_t tls)
{
    (void)tls;
    return SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_set_tls_base(uintptr_t base)
{
    (void)base;
    return SOLO5_R_EUNSPEC;
}

solo5_time_t solo5_clock_monotonic(void)
{
    return ~(solo5_time_t)0;
}

solo5_time_t solo5_clock_wall(void)
{
    return ~(solo5_time_t)0;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    (void)deadline;
    if (ready_set != NULL)
        *ready_set = 0;
}

void solo5_console_write(const char *buf, size_t size)
{
    (void)buf;
    (void)size;
}
