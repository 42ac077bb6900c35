/*
 * bindings_exit.c: every way out of a unikernel, and the messages that go
 * with them (tools and tests match on these lines).
 */
#include "bindings.h"

void solo5_exit(int status)
{
    bindings_log(BINDINGS_LOG_INFO, "Solo5: solo5_exit(%d) called\n", status);
    platform_exit(status, NULL);
}

void solo5_abort(void)
{
    bindings_log(BINDINGS_LOG_INFO, "Solo5: solo5_abort() called\n");
    platform_exit(SOLO5_EXIT_ABORT, NULL);
}

static void abort_vlog(const char *file, int line, const char *fmt, va_list ap)
{
    char msg[256];

    bindings_vsnprintf(msg, sizeof(msg), fmt, ap);
    bindings_log(BINDINGS_LOG_ERROR, "Solo5: ABORT: %s:%d: %s\n", file, line,
            msg);
}

void bindings_abort(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    abort_vlog(file, line, fmt, ap);
    va_end(ap);
    platform_exit(SOLO5_EXIT_ABORT, NULL);
}

void bindings_abort_cookie(void *cookie, const char *file, int line,
        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    abort_vlog(file, line, fmt, ap);
    va_end(ap);
    platform_exit(SOLO5_EXIT_ABORT, cookie);
}
