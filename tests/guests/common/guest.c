/*
 * guest.c: freestanding helpers for the test unikernels (see guest.h).
 *
 * Built with -fno-tree-loop-distribute-patterns so that the compiler does
 * not turn the loops below back into calls to memset/memcpy themselves.
 */
#include "guest.h"

void *memset(void *dest, int c, size_t n)
{
    unsigned char *d = dest;

    while (n--)
        *d++ = (unsigned char)c;
    return dest;
}

void *memcpy(void *dest, const void *src, size_t n)
{
    unsigned char *d = dest;
    const unsigned char *s = src;

    while (n--)
        *d++ = *s++;
    return dest;
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

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

char *strcpy(char *dest, const char *src)
{
    char *d = dest;

    while ((*d++ = *src++))
        ;
    return dest;
}

void guest_puts(const char *s)
{
    solo5_console_write(s, strlen(s));
}

static void put_digits(uint64_t value, unsigned base)
{
    char buf[24];
    size_t i = sizeof(buf);

    do {
        buf[--i] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value);
    solo5_console_write(buf + i, sizeof(buf) - i);
}

void guest_put_dec(uint64_t value)
{
    put_digits(value, 10);
}

void guest_put_hex(uint64_t value)
{
    guest_puts("0x");
    put_digits(value, 16);
}

void guest_banner(const char *name)
{
    guest_puts("\n**** Solo5 standalone ");
    guest_puts(name);
    guest_puts(" ****\n\n");
}

int guest_success(void)
{
    guest_puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}

int guest_failure(const char *why)
{
    guest_puts("FAILURE: ");
    guest_puts(why);
    guest_puts("\n");
    return SOLO5_EXIT_FAILURE;
}

bool guest_parse_dec(const char *s, uint64_t *value)
{
    uint64_t v = 0;

    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    *value = v;
    return true;
}
