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

#define TENDER_ERR_MSG_SIZE 512

struct tender_err {
    char msg[TENDER_ERR_MSG_SIZE];
};

/* Fills err->msg (printf-style, truncated if needed) and returns -1. */
int tender_err_set(struct tender_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* TENDER_ERR_H */
