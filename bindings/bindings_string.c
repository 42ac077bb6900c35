/*
 * bindings_string.c: the few string and memory helpers the bindings need.
 *
 * They are local to the bindings object (objcopy localises every symbol but
 * the API), so they never clash with the application's own libc.  memcpy and
 * friends exist under their standard names too because gcc may emit calls to
 * them for struct copies even in freestanding code.  memcpy and memset,
 * which the I/O paths use on every frame and block, are per architecture
 * (bindings_copy_<arch>.c).
 */
#include "bindings.h"

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x - *y;
    }
    return 0;
}

void *bindings_memcpy(void *dst, const void *src, size_t n)
{
    return memcpy(dst, src, n);
}

void *bindings_memset(void *dst, int c, size_t n)
{
    return memset(dst, c, n);
}

size_t bindings_strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

int bindings_strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (*a == '\0')
            return 0;
    }
    return 0;
}

int bindings_strcmp(const char *a, const char *b)
{
    return bindings_strncmp(a, b, SIZE_MAX);
}
