/*
 * bindings_log.c: the console API and the bindings' leveled log.
 */
#include "bindings.h"

/* Longest single message; longer ones are cut (the console is best effort). */
#define LOG_LINE_MAX 512

/* The only mutable state of the log: set once from the command line. */
static enum bindings_log_level log_level = BINDINGS_LOG_INFO;

void bindings_log_set_level(enum bindings_log_level level)
{
    log_level = level;
}

void bindings_log(enum bindings_log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    va_list ap;
    int n;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    n = bindings_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    platform_console_write(line, (size_t)n);
}

void solo5_console_write(const char *buf, size_t size)
{
    platform_console_write(buf, size);
}
