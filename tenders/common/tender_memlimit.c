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

/* The mount point and root of the first cgroup file system in
 * /proc/self/mountinfo that is `fstype` ("cgroup2"), or that is "cgroup"
 * with `option` ("memory") among its super options. */
static bool cgroup_mount(const char *fstype, const char *option,
        char *mnt, char *root, size_t size)
{
    char line[LINE];
    FILE *f = fopen("/proc/self/mountinfo", "re");
    bool found = false;

    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char r[LINE], m[LINE], type[64], opts[LINE];
        const char *dash = strstr(line, " - ");

        if (dash == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", r, m)
                != 2 || sscanf(dash, " - %63s %*s %4095s", type, opts) != 2)
            continue;
        if (strcmp(type, fstype) != 0)
            continue;
        if (option != NULL && strstr(opts, option) == NULL)
            continue;
        found = strlen(m) < size && strlen(r) < size;
        if (found) {
            strcpy(mnt, m);
            strcpy(root, r);
        }
    }
    fclose(f);
    return found;
}

/* The tender's cgroup path for v1's `controller`, or v2's ("" ). */
static bool cgroup_path(const char *controller, char *path, size_t size)
{
    char line[LINE];
    FILE *f = fopen("/proc/self/cgroup", "re");
    bool found = false;

    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        char *list = strchr(line, ':'), *p;

        if (list == NULL || (p = strchr(++list, ':')) == NULL)
            continue;
        *p++ = '\0';
        p[strcspn(p, "\n")] = '\0';
        if (controller[0] == '\0' ? list[0] != '\0' :
                strstr(list, controller) == NULL)
            continue;
        found = strlen(p) < size;
        if (found)
            strcpy(path, p);
    }
    fclose(f);
    return found;
}

/* The directory of the tender's cgroup in the mounted file system. */
static bool cgroup_dir(const char *fstype, const char *controller,
        char *dir, size_t size)
{
    char mnt[LINE], root[LINE], path[LINE];
    const char *rel;

    if (!cgroup_mount(fstype, controller[0] ? controller : NULL, mnt, root,
                sizeof(mnt)) || !cgroup_path(controller, path, sizeof(path)))
        return false;
    /* The mount may show a subtree (a cgroup namespace's root). */
    rel = strncmp(path, root, strlen(root)) == 0 && strcmp(root, "/") != 0 ?
        path + strlen(root) : path;
    return snprintf(dir, size, "%s%s", mnt, rel) < (int)size;
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
    char dir[LINE], file[LINE + 16], mnt[LINE], root[LINE];
    uint64_t limit = UINT64_MAX, v;

    if (cgroup_dir("cgroup", "memory", dir, sizeof(dir))) {
        snprintf(file, sizeof(file), "%s/memory.stat", dir);
        if (read_u64(file, "hierarchical_memory_limit ", &v) && v < limit) {
            limit = v;
            snprintf(where, size, "%s (hierarchical_memory_limit)", file);
        }
    }
    if (cgroup_mount("cgroup2", NULL, mnt, root, sizeof(mnt)) &&
            cgroup_dir("cgroup2", "", dir, sizeof(dir))) {
        char v2_where[LINE + 16];

        v = v2_limit(dir, strlen(mnt), v2_where, sizeof(v2_where));
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
