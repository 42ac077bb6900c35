/*
 * A minimal unikernel built by tests/install with nothing but an installed
 * Solo5 prefix: prints its command line and exits with status 7, which the
 * tender must hand back to the shell.
 */
#include "solo5.h"

static size_t length(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    solo5_console_write(s, length(s));
}

int solo5_app_main(const struct solo5_start_info *si)
{
    say("Installed app says: '");
    say(si->cmdline);
    say("'\n");
    return 7;
}
