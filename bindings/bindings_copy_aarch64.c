/*
 * bindings_copy_aarch64.c: memcpy and memset a 64-bit word at a time where
 * both addresses allow it, else a byte at a time: the I/O paths copy every
 * frame and block (bindings_copy_x86_64.c has the figures).  The compiler
 * is told not to turn these loops back into calls (-fno-tree-loop-
 * distribute-patterns).
 */
#include "bindings.h"

typedef uint64_t __attribute__((__may_alias__)) bindings_word;

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if ((((uintptr_t)d | (uintptr_t)s) & (sizeof(bindings_word) - 1)) == 0) {
        for (; n >= sizeof(bindings_word); n -= sizeof(bindings_word)) {
            *(bindings_word *)d = *(const bindings_word *)s;
            d += sizeof(bindings_word);
            s += sizeof(bindings_word);
        }
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    bindings_word w = (unsigned char)c * 0x0101010101010101ULL;

    if (((uintptr_t)d & (sizeof(bindings_word) - 1)) == 0) {
        for (; n >= sizeof(bindings_word); n -= sizeof(bindings_word)) {
            *(bindings_word *)d = w;
            d += sizeof(bindings_word);
        }
    }
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}
