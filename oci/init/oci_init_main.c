/*
 * oci_init_main.c: solo5-oci-init's command line and sequence (oci_init.h).
 *
 *   solo5-oci-init [--sync-fd=N] [--exec-fifo=PATH] [--user=UID:GID[:G,...]]
 *                  ( --pause | -- TENDER [ARGS...] )
 *
 * Internal to solo5-oci, which runs it; not meant to be run by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_init.h"

struct options {
    int sync_fd;
    const char *exec_fifo;
    struct oci_init_user user;
    bool pause;
    char **tender; /* argv of the tender */
};

static const char usage[] =
    "usage: solo5-oci-init [--sync-fd=N] [--exec-fifo=PATH] [--user=UID:GID[:GID,...]]\n"
    "                      ( --pause | -- TENDER [ARGS...] )\n"
    "The init process of a solo5-oci container (run by solo5-oci, not by hand).\n";

static int parse_number(const char *text, unsigned long max, char **end, unsigned long *out)
{
    errno = 0;
    *out = strtoul(text, end, 10);
    return (errno != 0 || *end == text || *out > max) ? -1 : 0;
}

/* UID:GID[:G1,G2,...] */
static int parse_user(const char *text, struct oci_init_user *user)
{
    unsigned long value;
    char *end;

    if (parse_number(text, UINT_MAX, &end, &value) != 0 || *end != ':')
        return -1;
    user->uid = (uid_t)value;
    if (parse_number(end + 1, UINT_MAX, &end, &value) != 0)
        return -1;
    user->gid = (gid_t)value;
    while (*end == ':' || (*end == ',' && user->ngroups > 0)) {
        if (user->ngroups == OCI_INIT_MAX_GROUPS ||
                parse_number(end + 1, UINT_MAX, &end, &value) != 0)
            return -1;
        user->groups[user->ngroups++] = (gid_t)value;
    }
    user->set = true;
    return *end == '\0' ? 0 : -1;
}

static int parse_option(const char *arg, struct options *o)
{
    unsigned long value;
    char *end;

    if (strncmp(arg, "--sync-fd=", 10) == 0) {
        if (parse_number(arg + 10, INT_MAX, &end, &value) != 0 || *end != '\0')
            return -1;
        o->sync_fd = (int)value;
    } else if (strncmp(arg, "--exec-fifo=", 12) == 0) {
        o->exec_fifo = arg + 12;
    } else if (strncmp(arg, "--user=", 7) == 0) {
        return parse_user(arg + 7, &o->user);
    } else if (strcmp(arg, "--pause") == 0) {
        o->pause = true;
    } else {
        return -1;
    }
    return 0;
}

static int parse(int argc, char **argv, struct options *o)
{
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (parse_option(argv[i], o) != 0) {
            fprintf(stderr, "solo5-oci-init: invalid option: %s\n%s", argv[i], usage);
            return -1;
        }
    }
    o->tender = i + 1 < argc ? &argv[i + 1] : NULL;
    if (o->pause == (o->tender != NULL)) {
        fprintf(stderr, "solo5-oci-init: give either --pause or -- TENDER\n%s", usage);
        return -1;
    }
    return 0;
}

/* Until `start`, a terminating signal just ends the container. */
static void before_start(int sig)
{
    _exit(128 + sig);
}

static void handle_before_start(void)
{
    struct sigaction sa = { .sa_handler = before_start };

    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP && oci_init_terminates(sig))
            sigaction(sig, &sa, NULL);
    }
}

/* Block on the FIFO until `solo5-oci start` opens it, and answer it. */
static int wait_for_start(const char *fifo)
{
    int fd;

    do
        fd = open(fifo, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0 || write(fd, "0", 1) != 1) {
        fprintf(stderr, "solo5-oci-init: %s: %s\n", fifo, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

static void take_all_signals(void)
{
    sigset_t all;

    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
}

int main(int argc, char **argv)
{
    struct options o = { .sync_fd = -1 };
    pid_t child = -1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (parse(argc, argv, &o) != 0)
        return 1;
    handle_before_start();
    if (o.sync_fd >= 0) {
        if (write(o.sync_fd, "ok\n", 3) != 3)
            return 1;
        close(o.sync_fd);
    }
    if (o.exec_fifo != NULL && wait_for_start(o.exec_fifo) != 0)
        return 1;
    take_all_signals();
    if (oci_init_drop_privileges(&o.user) != 0)
        return 1;
    if (o.tender != NULL) {
        child = oci_init_spawn(o.tender);
        if (child < 0) {
            perror("solo5-oci-init: fork");
            return 1;
        }
        /* The tender has the taps and files now: keep only stdio. */
        close_range(3, ~0U, 0);
    }
    return oci_init_supervise(child);
}
