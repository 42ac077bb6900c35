/*
 * muen_sinfo.c: finding channels by name in the subject information page.
 */
#include "muen.h"

const struct muen_sinfo *muen_sinfo(void)
{
    return (const struct muen_sinfo *)(uintptr_t)MUEN_SINFO_BASE;
}

const struct muen_channel_info *muen_channel(const char *name)
{
    const struct muen_sinfo *si = muen_sinfo();
    size_t len = bindings_strlen(name);

    if (si->magic != MUEN_SINFO_MAGIC || len > MUEN_NAME_MAX)
        return NULL;
    for (unsigned i = 0; i < si->channel_count; i++) {
        const struct muen_channel_info *c = &si->channels[i];

        if (c->name.length == len &&
                bindings_strncmp(c->name.data, name, len) == 0)
            return c;
    }
    return NULL;
}

bool muen_channel_name(char *buf, const char *base, const char *suffix)
{
    size_t a = bindings_strlen(base), b = bindings_strlen(suffix);

    if (a + b > MUEN_NAME_MAX)
        return false;
    bindings_memcpy(buf, base, a);
    bindings_memcpy(buf + a, suffix, b + 1);
    return true;
}
