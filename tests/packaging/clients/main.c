/* main.c: the unikernel's entry, linked as an object next to the two
 * archives (libruntime.a, libapp.a). */
#include "solo5.h"

int rt_main(const struct solo5_start_info *si);

int solo5_app_main(const struct solo5_start_info *si)
{
    return rt_main(si);
}
