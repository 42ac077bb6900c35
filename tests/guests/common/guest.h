/*
 * guest.h: the small freestanding helpers every test unikernel shares.
 *
 * The bindings keep their libc-like helpers local (they are not exported),
 * so a unikernel brings its own, exactly as a real application's libc does.
 * The compiler may also emit calls to memset/memcpy on its own, which is
 * why they are provided with their standard names.
 */
#ifndef GUEST_H_INCLUDED
#define GUEST_H_INCLUDED

#include "solo5.h"

void *memset(void *dest, int c, size_t n);
void *memcpy(void *dest, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
char *strcpy(char *dest, const char *src);

/* Writes a NUL-terminated string to the console, as is. */
void guest_puts(const char *s);

/* Writes `value` in decimal / as 0x-prefixed hexadecimal. */
void guest_put_dec(uint64_t value);
void guest_put_hex(uint64_t value);

/* Prints the standard banner: "\n**** Solo5 standalone <name> ****\n\n". */
void guest_banner(const char *name);

/* Prints "SUCCESS\n" and returns SOLO5_EXIT_SUCCESS. */
int guest_success(void);

/* Prints "FAILURE: <why>\n" and returns SOLO5_EXIT_FAILURE. */
int guest_failure(const char *why);

/* Parses an unsigned decimal number at the start of `s`; stops at the first
 * non-digit.  Returns false if `s` does not start with a digit. */
bool guest_parse_dec(const char *s, uint64_t *value);

/* Hides `p`'s value from the optimiser, so accesses through it are emitted
 * as written (constant addresses, const objects, function addresses). */
static inline uintptr_t guest_launder(uintptr_t p)
{
    __asm__ __volatile__("" : "+r"(p));
    return p;
}

#endif /* GUEST_H_INCLUDED */
