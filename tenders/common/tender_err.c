/*
 * tender_err.c: filling in a struct tender_err.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "tender_err.h"

int tender_err_set(struct tender_err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

void tender_err_vprint(const char *prefix, const char *fmt, va_list ap)
{
    char line[TENDER_ERR_MSG_SIZE + 128];
    size_t n = (size_t)snprintf(line, sizeof(line) - 1, "%s", prefix);
    int m;

    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    m = vsnprintf(line + n, sizeof(line) - 1 - n, fmt, ap);
    if (m > 0)
        n += (size_t)m;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, n);
}
