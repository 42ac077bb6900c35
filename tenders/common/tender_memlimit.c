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
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tender.h"

/* TENDER_OWN_MIB, what the tender itself may use besides guest memory, is
 * toolchain/abi.py's (solo5-oci sizes a container's guest with it too),
 * given with -D by tenders/SConscript. */
#define LINE 4096

/* The lines of a file as fgets(line, size, f) gives them (a longer line
 * in pieces of size - 1 bytes), read with read(2) into the tender's own
 * buffer.  Not stdio: it reads these files (st_size 0) 1 KiB at a time,
 * after an fstat and a malloc, and reads to the end of each (~10
 * microseconds a start, measured). */
struct lines {
    int fd;
    size_t max;                 /* the longest piece: fgets' size - 1 */
    size_t chunk;               /* the most one read() asks for */
    size_t start, end;          /* the bytes not yet returned */
    bool eof;                   /* read() gave 0 or failed (fgets: NULL) */
    char buf[2 * LINE], line[LINE];
};

static bool lines_open(struct lines *l, const char *file, size_t size,
        size_t chunk)
{
    l->fd = open(file, O_RDONLY | O_CLOEXEC);
    l->max = size - 1;
    l->chunk = chunk;
    l->start = l->end = 0;
    l->eof = false;
    return l->fd >= 0;
}

/* Reads until buf holds a whole line, max bytes, or the rest of the file.
 * A read of a seq_file stops at a page: short is not the end. */
static void lines_fill(struct lines *l)
{
    while (!l->eof && l->end - l->start < l->max &&
            memchr(l->buf + l->start, '\n', l->end - l->start) == NULL) {
        size_t room;
        ssize_t n;

        memmove(l->buf, l->buf + l->start, l->end - l->start);
        l->end -= l->start;
        l->start = 0;
        room = sizeof(l->buf) - l->end;
        n = read(l->fd, l->buf + l->end, room < l->chunk ? room : l->chunk);
        if (n <= 0)
            l->eof = true;
        else
            l->end += (size_t)n;
    }
}

/* The next line, '\n' kept (as fgets), or NULL at the end of the file. */
static char *lines_next(struct lines *l)
{
    size_t n, max = l->max;
    const char *nl;

    lines_fill(l);
    n = l->end - l->start;
    if (n == 0)
        return NULL;
    nl = memchr(l->buf + l->start, '\n', n < max ? n : max);
    n = nl != NULL ? (size_t)(nl - (l->buf + l->start)) + 1 : n < max ? n : max;
    memcpy(l->line, l->buf + l->start, n);
    l->line[n] = '\0';
    l->start += n;
    return l->line;
}

/* Where the tender's memory cgroup is, for cgroup v1 (the "cgroup" file
 * system with the memory controller) and for v2 ("cgroup2"): the mount
 * point and root of the file system and the tender's cgroup path.  Each
 * /proc file is read once (tens of microseconds each, at every start). */
struct cgroup_where {
    bool mounted, member;
    bool memory;                /* the path's line names "memory" itself */
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

/* The next word of *s as sscanf's "%<width>s" takes it (a longer word
 * leaves its rest for the next %s), into out (NULL: skipped, as "%*s").
 * By hand: sscanf's first use (its code paged in) and its two calls a
 * mount cost a start ~10 microseconds. */
static bool scan_word(const char **s, char *out, size_t width)
{
    const char *p = *s;
    size_t n = 0;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0')
        return false;
    while (n < width && p[n] != '\0' && !isspace((unsigned char)p[n]))
        n++;
    if (out != NULL) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
    *s = p + n;
    return true;
}

/* A mountinfo line's root (r), mount point (m), file system type and
 * super options, as sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) == 2
 * and sscanf(dash, " - %63s %*s %4095s", type, opts) == 2 took them. */
static bool mount_fields(const char *line, char *r, char *m, char *type,
        char *opts)
{
    const char *p = line, *dash = strstr(line, " - ");

    if (dash == NULL || !scan_word(&p, NULL, SIZE_MAX) ||
            !scan_word(&p, NULL, SIZE_MAX) || !scan_word(&p, NULL, SIZE_MAX) ||
            !scan_word(&p, r, LINE - 1) || !scan_word(&p, m, LINE - 1))
        return false;
    p = dash + 3;
    return scan_word(&p, type, 63) && scan_word(&p, NULL, SIZE_MAX) &&
        scan_word(&p, opts, LINE - 1);
}

/* Whether w's mount is known or will not be needed (no cgroup path). */
static bool cgroup_done(const struct cgroup_where *w)
{
    return w->mounted || !w->member;
}

/* The first mount of each kind in /proc/self/mountinfo, of the kinds the
 * tender has a cgroup path in (the other kind's does not matter).  The
 * kernel writes this file a mount at a time as it is read, 1-1.5
 * microseconds a mount here: it is read 1 KiB at a time and no further
 * than needed.  The cgroup file systems are mounted at boot, before the
 * mounts that containers and services add by the hundred. */
static void cgroup_mounts(struct cgroup_where *v1, struct cgroup_where *v2)
{
    struct lines f;
    char *line;

    if (!lines_open(&f, "/proc/self/mountinfo", LINE, 1024))
        return;
    while (!(cgroup_done(v1) && cgroup_done(v2)) &&
            (line = lines_next(&f)) != NULL) {
        char r[LINE], m[LINE], type[64], opts[LINE];

        if (!mount_fields(line, r, m, type, opts))
            continue;
        if (strcmp(type, "cgroup2") == 0)
            cgroup_set(v2, m, r);
        else if (strcmp(type, "cgroup") == 0 && strstr(opts, "memory") != NULL)
            cgroup_set(v1, m, r);
    }
    close(f.fd);
}

/* Whether the comma-separated list holds item (strstr also finds a named
 * hierarchy's "name=memoryless"). */
static bool has_item(const char *list, const char *item)
{
    size_t n = strlen(item);

    for (const char *p = list; p != NULL; p = strchr(p, ',')) {
        p += *p == ',';
        if (strncmp(p, item, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    }
    return false;
}

/* The tender's cgroup paths in /proc/self/cgroup: v1's memory hierarchy
 * ("N:...memory...:PATH") and v2's ("0::PATH"). */
static void cgroup_paths(struct cgroup_where *v1, struct cgroup_where *v2)
{
    struct lines f;
    char *line;

    if (!lines_open(&f, "/proc/self/cgroup", LINE, sizeof(f.buf)))
        return;
    while ((line = lines_next(&f)) != NULL) {
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
        w->memory = w == v1 && has_item(list, "memory");
    }
    close(f.fd);
}

/* The conventional mount points in place of mountinfo's first mounts,
 * where tender_memlimit_fast.c proves them right for every hierarchy the
 * tender has a path in: true if so (w set as cgroup_mounts would set it
 * for a mount of the root), false with v1 and v2 untouched. */
static bool cgroup_fast(struct cgroup_where *v1, struct cgroup_where *v2)
{
    const char *mnt;

    if (!v1->member && !v2->member)
        return true;
    if (!tender_cgroup_initial_ns())
        return false;
    if (v1->member) {
        /* "N:name=memoryless:/..." first: mountinfo decides. */
        if (!v1->memory || (mnt = tender_cgroup_v1_memory_root()) == NULL)
            return false;
        cgroup_set(v1, mnt, "/");
        /* The memory controller is bound to v1, so no cgroup2 directory
         * has a memory.max: v2 would give no limit, and is not looked at. */
        v2->member = false;
        return true;
    }
    if ((mnt = tender_cgroup_v2_root()) == NULL)
        return false;
    cgroup_set(v2, mnt, "/");
    return true;
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

/* The number after key on the first line that starts with it (strtoull:
 * sscanf's "%" SCNu64, without sscanf's first use). */
static bool read_u64(const char *file, const char *key, uint64_t *value)
{
    struct lines f;
    char *line;
    bool found = false;

    /* 256: the longest line of memory.stat or memory.max is far shorter. */
    if (!lines_open(&f, file, 256, sizeof(f.buf)))
        return false;
    while (!found && (line = lines_next(&f)) != NULL) {
        size_t n = strlen(key);
        char *end;

        if (strncmp(line, key, n) == 0) {
            *value = strtoull(line + n, &end, 10);
            found = end != line + n;
        }
    }
    close(f.fd);
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
 * file that sets it; *fast: whether mountinfo was skipped (try_fast: may
 * be, as the tenders run it; the unit harness compares both). */
static uint64_t memory_limit(char *where, size_t size, bool try_fast,
        bool *fast)
{
    struct cgroup_where v1 = { .mounted = false }, v2 = { .mounted = false };
    char dir[LINE], file[LINE + 16];
    uint64_t limit = UINT64_MAX, v;

    /* The paths first: they say which mounts are worth looking for. */
    cgroup_paths(&v1, &v2);
    *fast = try_fast && cgroup_fast(&v1, &v2);
    if (!*fast)
        cgroup_mounts(&v1, &v2);
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
    bool fast;
    uint64_t limit = memory_limit(where, sizeof(where), true, &fast);
    uint64_t need = (bytes >> 20) + TENDER_OWN_MIB;

    if (limit == UINT64_MAX || need <= limit >> 20)
        return 0;
    return tender_err_set(err, "--mem=%" PRIu64 ": %" PRIu64 " MiB of guest "
            "memory and %d MiB for the tender exceed the memory cgroup "
            "limit of %" PRIu64 " MiB (%s): the guest would be killed once "
            "it used its memory; decrease --mem or raise the limit",
            mem_mib, bytes >> 20, TENDER_OWN_MIB, limit >> 20, where);
}
