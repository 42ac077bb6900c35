/* probe.c: built with the config.h that configure.ac wrote, linked for a
 * real target and run: what configure found must hold in the unikernel. */
#include "config.h"
#include "solo5.h"

#if !defined(PROBE_LINKS_SOLO5) || !defined(PROBE_LITTLE_ENDIAN) || defined(HAVE_STDIO_H) || \
    defined(HAVE_DLOPEN)
#error "configure's results are not the expected ones"
#endif

static void print(const char *s)
{
    unsigned long n = 0;

    while (s[n])
        n++;
    solo5_console_write(s, n);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    if (SIZEOF_VOID_P != sizeof(void *) || SIZEOF_LONG != sizeof(long) ||
        SIZEOF_INT != sizeof(int) || SIZEOF_LONG_DOUBLE != sizeof(long double))
        return 1;
    print("probe: configure's sizes hold in the unikernel\n");
    return 0;
}
