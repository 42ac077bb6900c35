/* print.c: console output for libruntime.a; only app.c (libapp.a) uses
 * it, so a link must search the archives as a group to find it. */
#include "solo5.h"

void rt_print(const char *s)
{
    unsigned long n = 0;

    while (s[n])
        n++;
    solo5_console_write(s, n);
}

void rt_print_ulong(unsigned long v)
{
    char buf[24];
    int i = sizeof(buf);

    buf[--i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    rt_print(&buf[i]);
}
