/*
 * hello: the smallest useful Solo5 unikernel.  It greets, echoes its command
 * line and exits with status 0; built the same way for every target.
 */
#include "solo5.h"

static size_t hello_strlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

static void hello_puts(const char *s)
{
    solo5_console_write(s, hello_strlen(s));
}

int solo5_app_main(const struct solo5_start_info *si)
{
    hello_puts("Hello from a Solo5 unikernel!\n");
    hello_puts("Command line: '");
    hello_puts(si->cmdline);
    hello_puts("'\n");
    return 0;
}
