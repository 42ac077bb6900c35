/*
 * tender_memlimit_check.c: a host harness around the file reading of
 * tenders/common/tender_memlimit.c, driven by tests/tenders/test_memlimit.py.
 * The check reads its files with read(2) and scans them by hand; what it
 * finds must be what fgets and sscanf (which it used to call) find in the
 * same file, so each mode runs both on FILE and prints "same", or the first
 * difference and exits 1.
 *
 *   tender_memlimit_check lines FILE SIZE CHUNK
 *       lines_next (pieces of SIZE - 1 bytes, reads of CHUNK) against
 *       fgets(line, SIZE).
 *   tender_memlimit_check mounts FILE
 *       mount_fields against the two sscanf calls, on every line fgets
 *       gives (as /proc/self/mountinfo's).
 *   tender_memlimit_check u64 FILE KEY
 *       read_u64 against fgets(line, 256) and sscanf("%" SCNu64) after the
 *       first line that starts with KEY and has a number.
 *   tender_memlimit_check limit
 *       the check of this process's cgroup as the tenders run it, then
 *       through mountinfo alone: "fast" or "mountinfo" (the way the first
 *       went), then a line each, "<limit in bytes or none> <file>".
 *   tender_memlimit_check roots
 *       tender_memlimit_fast.c's proofs: "ns initial|other", "v1 DIR|-",
 *       "v2 DIR|-".
 *   tender_memlimit_check time N [fast|mountinfo]
 *       the check N times each way, interleaved (or one way only, as the
 *       first thing a fresh process does, with N 1: a start's cost): the
 *       median of each in nanoseconds, "fast NS" and "mountinfo NS".
 *
 * Bad harness usage exits 2.
 */
#include <time.h>

#include "tender_memlimit.c"

static int usage(const char *why)
{
    fprintf(stderr, "tender_memlimit_check: %s\n", why);
    return 2;
}

static int differ(const char *what, const char *old, const char *new)
{
    printf("differ %s: old '%s' new '%s'\n", what, old, new);
    return 1;
}

static int check_lines(const char *file, size_t size, size_t chunk)
{
    struct lines l;
    char old[2 * LINE];
    const char *new;
    FILE *f = fopen(file, "re");

    if (f == NULL || size < 2 || size > LINE || chunk < 1 ||
            !lines_open(&l, file, size, chunk))
        return usage("lines: FILE unreadable, or SIZE or CHUNK out of range");
    do {
        bool more = fgets(old, (int)size, f) != NULL;

        new = lines_next(&l);
        if (more != (new != NULL))
            return differ("end", more ? old : "(end)", new ? new : "(end)");
        if (more && strcmp(old, new) != 0)
            return differ("line", old, new);
    } while (new != NULL);
    fclose(f);
    close(l.fd);
    printf("same\n");
    return 0;
}

/* One line through both: 0 if they agree, else 1 (reported). */
static int mount_line(const char *line)
{
    char r[2][LINE], m[2][LINE], type[2][64], opts[2][LINE];
    const char *dash = strstr(line, " - ");
    bool old = dash != NULL &&
        sscanf(line, "%*s %*s %*s %4095s %4095s", r[0], m[0]) == 2 &&
        sscanf(dash, " - %63s %*s %4095s", type[0], opts[0]) == 2;
    bool new = mount_fields(line, r[1], m[1], type[1], opts[1]);

    if (old != new)
        return differ("taken", old ? "yes" : "no", new ? "yes" : "no");
    if (!old)
        return 0;
    if (strcmp(r[0], r[1]) != 0)
        return differ("root", r[0], r[1]);
    if (strcmp(m[0], m[1]) != 0)
        return differ("mount point", m[0], m[1]);
    if (strcmp(type[0], type[1]) != 0)
        return differ("type", type[0], type[1]);
    if (strcmp(opts[0], opts[1]) != 0)
        return differ("options", opts[0], opts[1]);
    return 0;
}

static int check_mounts(const char *file)
{
    char line[LINE];
    FILE *f = fopen(file, "re");

    if (f == NULL)
        return usage("mounts: FILE unreadable");
    while (fgets(line, sizeof(line), f) != NULL) {
        if (mount_line(line) != 0)
            return 1;
    }
    fclose(f);
    printf("same\n");
    return 0;
}

/* read_u64 as it was, with stdio. */
static bool old_read_u64(const char *file, const char *key, uint64_t *value)
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

static int check_u64(const char *file, const char *key)
{
    uint64_t old = 0, new = 0;
    bool old_found = old_read_u64(file, key, &old);
    bool new_found = read_u64(file, key, &new);
    char a[32], b[32];

    snprintf(a, sizeof(a), "%s %" PRIu64, old_found ? "found" : "none",
            old_found ? old : 0);
    snprintf(b, sizeof(b), "%s %" PRIu64, new_found ? "found" : "none",
            new_found ? new : 0);
    if (strcmp(a, b) != 0)
        return differ("value", a, b);
    printf("same\n");
    return 0;
}

static void print_limit(uint64_t limit, const char *where)
{
    if (limit == UINT64_MAX)
        printf("none %s\n", where);
    else
        printf("%" PRIu64 " %s\n", limit, where);
}

static int check_limit(void)
{
    char where[2][LINE + 64] = { "", "" };
    bool fast, slow;
    uint64_t limit = memory_limit(where[0], sizeof(where[0]), true, &fast);
    uint64_t old = memory_limit(where[1], sizeof(where[1]), false, &slow);

    printf("%s\n", fast ? "fast" : "mountinfo");
    print_limit(limit, where[0]);
    print_limit(old, where[1]);
    return slow ? usage("limit: mountinfo skipped when not allowed") : 0;
}

static int check_roots(void)
{
    const char *v1 = tender_cgroup_v1_memory_root();
    const char *v2 = tender_cgroup_v2_root();

    printf("ns %s\nv1 %s\nv2 %s\n",
            tender_cgroup_initial_ns() ? "initial" : "other",
            v1 != NULL ? v1 : "-", v2 != NULL ? v2 : "-");
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Both ways in turn, so that a neighbour's load falls on both alike. */
static int check_time(unsigned long n, const char *only)
{
    uint64_t *ns[2];
    char where[LINE + 64];
    bool fast;

    if (n < 1 || n > 1000000)
        return usage("time: N out of range");
    ns[0] = calloc(n, sizeof(uint64_t));
    ns[1] = calloc(n, sizeof(uint64_t));
    if (ns[0] == NULL || ns[1] == NULL)
        return usage("time: out of memory");
    for (unsigned long i = 0; i < n; i++) {
        for (int way = 0; way < 2; way++) {
            uint64_t t0;

            if (only != NULL && strcmp(only, way == 0 ? "fast" : "mountinfo") != 0)
                continue;
            t0 = now_ns();

            memory_limit(where, sizeof(where), way == 0, &fast);
            ns[way][i] = now_ns() - t0;
        }
    }
    for (int way = 0; way < 2; way++)
        qsort(ns[way], n, sizeof(uint64_t), by_value);
    for (int way = 0; way < 2; way++) {
        if (only == NULL || strcmp(only, way == 0 ? "fast" : "mountinfo") == 0)
            printf("%s %" PRIu64 "\n", way == 0 ? "fast" : "mountinfo",
                    ns[way][n / 2]);
    }
    free(ns[0]);
    free(ns[1]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "limit") == 0)
        return check_limit();
    if (argc == 2 && strcmp(argv[1], "roots") == 0)
        return check_roots();
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "time") == 0)
        return check_time(strtoul(argv[2], NULL, 10), argc == 4 ? argv[3] : NULL);
    if (argc == 5 && strcmp(argv[1], "lines") == 0)
        return check_lines(argv[2], strtoul(argv[3], NULL, 10),
                strtoul(argv[4], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "mounts") == 0)
        return check_mounts(argv[2]);
    if (argc == 4 && strcmp(argv[1], "u64") == 0)
        return check_u64(argv[2], argv[3]);
    return usage("usage: lines FILE SIZE CHUNK | mounts FILE | u64 FILE KEY"
            " | limit | roots | time N");
}
