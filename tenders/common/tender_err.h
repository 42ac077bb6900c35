/*
 * tender_err.h: how library-like tender code reports failure.
 *
 * Functions that can fail take a `struct tender_err *` and return -1 after
 * filling it in; they never print or exit, so they can be unit-tested and so
 * that the caller decides how to present the failure (main prefixes the
 * program name and the file or option at fault).
 */
#ifndef TENDER_ERR_H
#define TENDER_ERR_H

#include <stdarg.h>

#define TENDER_ERR_MSG_SIZE 512

struct tender_err {
    char msg[TENDER_ERR_MSG_SIZE];
};

/* Fills err->msg (printf-style, truncated if needed) and returns -1. */
int tender_err_set(struct tender_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Prints "PREFIX" FMT "\n" to stderr in one write(2): two threads that fail
 * at once (the vCPU and the I/O thread) give two whole lines, never one
 * line inside another as stdio's separate writes did.  Long lines are
 * truncated.
 */
void tender_err_vprint(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif /* TENDER_ERR_H */
