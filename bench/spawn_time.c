/*
 * spawn_time: process start-to-exit times of several commands, measured
 * side by side for bench/workloads.py (cold start, boot to exit).
 *
 *   spawn_time RUNS CMD1 [ARGS] ::: CMD2 [ARGS] ::: ...
 *
 * Runs the commands in turn, RUNS rounds (interleaved, so that load on the
 * machine hits them alike), each with stdout and stderr on /dev/null, and
 * times posix_spawn() to waitpid() with CLOCK_MONOTONIC.  Prints one line
 * per command, in order:
 *   spawn_time: min_ns=<n> median_ns=<n> p90_ns=<n> failed=<runs not 0>
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16

extern char **environ;

struct cmd {
    char **argv;
    uint64_t *ns;
    unsigned failed;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One run of c; returns its time, counts a non-zero status as failed. */
static uint64_t run_once(struct cmd *c, const posix_spawn_file_actions_t *fa)
{
    uint64_t t0 = now_ns(), t1;
    pid_t pid;
    int status;

    if (posix_spawn(&pid, c->argv[0], fa, NULL, c->argv, environ) != 0) {
        perror(c->argv[0]);
        exit(1);
    }
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        exit(1);
    }
    t1 = now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        c->failed++;
    return t1 - t0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Splits argv at ":::" into commands; returns how many. */
static int split(char **argv, int argc, struct cmd *cmds, unsigned runs)
{
    int n = 0;

    for (int i = 0; i < argc && n < MAX_CMDS; n++) {
        cmds[n].argv = &argv[i];
        cmds[n].ns = calloc(runs, sizeof(uint64_t));
        cmds[n].failed = 0;
        while (i < argc && strcmp(argv[i], ":::") != 0)
            i++;
        if (i < argc)
            argv[i++] = NULL;
    }
    return n;
}

int main(int argc, char **argv)
{
    struct cmd cmds[MAX_CMDS];
    posix_spawn_file_actions_t fa;
    unsigned runs;
    int n;

    if (argc < 3 || (runs = (unsigned)strtoul(argv[1], NULL, 10)) == 0) {
        fprintf(stderr, "usage: spawn_time RUNS CMD [ARGS] ::: CMD [ARGS] ...\n");
        return 2;
    }
    n = split(argv + 2, argc - 2, cmds, runs);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    for (unsigned r = 0; r < runs; r++) {
        for (int c = 0; c < n; c++)
            cmds[c].ns[r] = run_once(&cmds[c], &fa);
    }
    for (int c = 0; c < n; c++) {
        qsort(cmds[c].ns, runs, sizeof(uint64_t), cmp_u64);
        printf("spawn_time: min_ns=%llu median_ns=%llu p90_ns=%llu failed=%u\n",
               (unsigned long long)cmds[c].ns[0], (unsigned long long)cmds[c].ns[runs / 2],
               (unsigned long long)cmds[c].ns[runs * 9 / 10], cmds[c].failed);
    }
    return 0;
}
