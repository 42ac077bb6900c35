/*
 * tender_args.c: pure parsing helpers for the tenders' command line.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tender.h"

/* Upper bound on --mem so that MiB -> bytes never overflows. */
#define MEM_MIB_MAX (UINT64_MAX >> 20)

int tender_parse_decimal(const char *value, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (*value == '\0')
        return TENDER_DECIMAL_MALFORMED;
    for (const char *p = value; *p != '\0'; p++) {
        if (!isdigit((unsigned char)*p))
            return TENDER_DECIMAL_MALFORMED;
        if (__builtin_mul_overflow(v, 10, &v) ||
                __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v) ||
                v > max)
            return TENDER_DECIMAL_TOO_LARGE;
    }
    *out = v;
    return 0;
}

int tender_parse_mem(const char *value, uint64_t *mib, struct tender_err *err)
{
    uint64_t v;
    int rc = tender_parse_decimal(value, MEM_MIB_MAX, &v);

    if (rc == TENDER_DECIMAL_TOO_LARGE)
        return tender_err_set(err, "Malformed argument to --mem "
                "(too large)");
    if (rc != 0 || v == 0)
        return tender_err_set(err, "Malformed argument to --mem");
    *mib = v;
    return 0;
}

int tender_cmdline(char *const *args, int n, size_t size, char **out,
        struct tender_err *err)
{
    size_t len = 0;
    char *buf, *p;

    for (int i = 0; i < n; i++) {
        len += strlen(args[i]) + (i > 0);
        if (len >= size)
            return tender_err_set(err, "Guest command line too long "
                    "(max=%zu characters)", size - 1);
    }
    buf = malloc(len + 1);
    if (buf == NULL)
        return tender_err_set(err, "out of memory");
    p = buf;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(args[i]);

        if (i > 0)
            *p++ = ' ';
        memcpy(p, args[i], l);
        p += l;
    }
    *p = '\0';
    *out = buf;
    return 0;
}

int tender_parse_device_arg(const char *arg, const char *prefix, char *buf,
        size_t buf_size, const char **name, const char **value,
        struct tender_err *err)
{
    size_t plen = strlen(prefix);
    char *eq;

    if (strncmp(arg, prefix, plen) != 0)
        return 0;
    if (strlen(arg + plen) >= buf_size)
        return tender_err_set(err, "argument is too long");
    strcpy(buf, arg + plen);
    eq = strchr(buf, '=');
    if (eq == NULL)
        return tender_err_set(err, "expected %sNAME=VALUE", prefix);
    *eq = '\0';
    if (buf[0] == '\0' || strlen(buf) > MFT_NAME_MAX)
        return tender_err_set(err, "device name must be 1 to %d characters",
                MFT_NAME_MAX);
    for (const char *c = buf; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c))
            return tender_err_set(err, "device name '%s' is not "
                    "alphanumeric", buf);
    }
    *name = buf;
    *value = eq + 1;
    return 1;
}
