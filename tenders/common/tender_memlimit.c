/*
 * tender_memlimit.c: --mem against the memory cgroup's limit.
 *
 * Guest memory is mapped lazily, so a tender whose memory cgroup allows
 * less than --mem would start, and be OOM-killed later, when its guest
 * first used enough memory: in the middle of whatever it was doing (a
 * block write, say).  So before guest memory is set up the tender finds
 * the limit of its memory cgroup and refuses, in one line, a guest that
 * could not use all of its memory within it.
 *
 * The limit: cgroup v2, the lowest memory.max of the tender's cgroup and
 * its ancestors; cgroup v1, hierarchical_memory_limit in memory.stat of the
 * tender's memory cgroup (the limits of its ancestors included).  Both are
 * looked for (a hybrid host may enable the memory controller in either);
 * no cgroup file system, no memory controller, or no limit: no check.
 * What else the cgroup holds (other processes, page cache) is not counted:
 * the kernel can reclaim the cache, and the rest is the operator's sizing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender.h"

/* TENDER_OWN_MIB, what the tender itself may use besides guest memory, is
 * toolchain/abi.py's (solo5-oci sizes a container's guest with it too),
 * given with -D by tenders/SConscript. */
#define LINE 4096

/* Where the tender's memory cgroup is, for cgroup v1 (the "cgroup" file
 * system with the memory controller) and for v2 ("cgroup2"): the mount
 * point and root of the file system and the tender's cgroup path.  Each
 * /proc file is read once (tens of microseconds each, at every start). */
struct cgroup_where {
    bool mounted, member;
    char mnt[LINE], root[LINE], path[LINE];
};

static void cgroup_set(struct cgroup_where *w, const char *m, const char *r)
{
    if (w->mounted || strlen(m) >= sizeof(w->mnt) || strlen(r) >= sizeof(w->root))
        return;
    strcpy(w->mnt, m);
    strcpy(w->root, r);
    w->mounted = true;
}

/* The first mount of each kind in /proc/self/mountinfo. */
static void cgroup_mounts(struct cgroup_where *v1, struct cgroup_where *v2)
{
    char line[LINE];
    FILE *f = fopen("/proc/self/mountinfo", "re");

    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char r[LINE], m[LINE], type[64], opts[LINE];
        const char *dash = strstr(line, " - ");

        if (dash == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", r, m)
                != 2 || sscanf(dash, " - %63s %*s %4095s", type, opts) != 2)
            continue;
        if (strcmp(type, "cgroup2") == 0)
            cgroup_set(v2, m, r);
        else if (strcmp(type, "cgroup") == 0 && strstr(opts, "memory") != NULL)
            cgroup_set(v1, m, r);
    }
    fclose(f);
}

/* The tender's cgroup paths in /proc/self/cgroup: v1's memory hierarchy
 * ("N:...memory...:PATH") and v2's ("0::PATH"). */
static void cgroup_paths(struct cgroup_where *v1, struct cgroup_where *v2)
{
    char line[LINE];
    FILE *f = fopen("/proc/self/cgroup", "re");

    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *list = strchr(line, ':'), *p;
        struct cgroup_where *w;

        if (list == NULL || (p = strchr(++list, ':')) == NULL)
            continue;
        *p++ = '\0';
        p[strcspn(p, "\n")] = '\0';
        w = list[0] == '\0' ? v2 : strstr(list, "memory") != NULL ? v1 : NULL;
        if (w == NULL || w->member || strlen(p) >= sizeof(w->path))
            continue;
        strcpy(w->path, p);
        w->member = true;
    }
    fclose(f);
}

/* The directory of the tender's cgroup in the mounted file system. */
static bool cgroup_dir(const struct cgroup_where *w, char *dir, size_t size)
{
    const char *rel;

    if (!w->mounted || !w->member)
        return false;
    /* The mount may show a subtree (a cgroup namespace's root). */
    rel = strncmp(w->path, w->root, strlen(w->root)) == 0 &&
        strcmp(w->root, "/") != 0 ? w->path + strlen(w->root) : w->path;
    return snprintf(dir, size, "%s%s", w->mnt, rel) < (int)size;
}

static bool read_u64(const char *file, const char *key, uint64_t *value)
{
    char line[256];
    FILE *f = fopen(file, "re");
    bool found = false;

    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        size_t n = strlen(key);

        if (strncmp(line, key, n) == 0)
            found = sscanf(line + n, "%" SCNu64, value) == 1;
    }
    fclose(f);
    return found;
}

/* The lowest memory.max from dir up to (and not above) the mount point. */
static uint64_t v2_limit(char *dir, size_t mnt_len, char *where, size_t size)
{
    uint64_t limit = UINT64_MAX;

    while (strlen(dir) > mnt_len) {
        char file[LINE + 16];
        uint64_t v;

        snprintf(file, sizeof(file), "%s/memory.max", dir);
        if (read_u64(file, "", &v) && v < limit) {
            limit = v;
            snprintf(where, size, "%s", file);
        }
        *strrchr(dir, '/') = '\0';
    }
    return limit;
}

/* The memory cgroup limit of this process (UINT64_MAX: none), and the
 * file that sets it. */
static uint64_t memory_limit(char *where, size_t size)
{
    struct cgroup_where v1 = { .mounted = false }, v2 = { .mounted = false };
    char dir[LINE], file[LINE + 16];
    uint64_t limit = UINT64_MAX, v;

    cgroup_mounts(&v1, &v2);
    if (!v1.mounted && !v2.mounted)
        return limit;
    cgroup_paths(&v1, &v2);
    if (cgroup_dir(&v1, dir, sizeof(dir))) {
        snprintf(file, sizeof(file), "%s/memory.stat", dir);
        if (read_u64(file, "hierarchical_memory_limit ", &v) && v < limit) {
            limit = v;
            snprintf(where, size, "%s (hierarchical_memory_limit)", file);
        }
    }
    if (cgroup_dir(&v2, dir, sizeof(dir))) {
        char v2_where[LINE + 16];

        v = v2_limit(dir, strlen(v2.mnt), v2_where, sizeof(v2_where));
        if (v < limit) {
            limit = v;
            snprintf(where, size, "%s", v2_where);
        }
    }
    return limit;
}

int tender_memlimit_check(uint64_t mem_mib, uint64_t bytes,
        struct tender_err *err)
{
    char where[LINE + 64] = "";
    uint64_t limit = memory_limit(where, sizeof(where));
    uint64_t need = (bytes >> 20) + TENDER_OWN_MIB;

    if (limit == UINT64_MAX || need <= limit >> 20)
        return 0;
    return tender_err_set(err, "--mem=%" PRIu64 ": %" PRIu64 " MiB of guest "
            "memory and %d MiB for the tender exceed the memory cgroup "
            "limit of %" PRIu64 " MiB (%s): the guest would be killed once "
            "it used its memory; decrease --mem or raise the limit",
            mem_mib, bytes >> 20, TENDER_OWN_MIB, limit >> 20, where);
}
