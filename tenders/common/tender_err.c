/*
 * tender_err.c: filling in a struct tender_err.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tender_err.h"

int tender_err_set(struct tender_err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}
