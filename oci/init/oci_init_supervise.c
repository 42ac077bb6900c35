/*
 * oci_init_supervise.c: run the tender as the init's only child.
 *
 * The init is PID 1 of the container's PID namespace, where a signal with
 * no handler is not delivered: so it takes every signal itself (all
 * blocked, collected with sigwaitinfo) and forwards each to the tender.
 * A terminating signal ends the container with status 128 + signal, as
 * for any process killed by it, whether the tender dies of the signal
 * (solo5-spt) or handles SIGINT/SIGTERM by exiting 1 (solo5-hvt prints
 * "Exiting on signal N").
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci_init.h"

bool oci_init_terminates(int sig)
{
    switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
    case SIGURG:
    case SIGWINCH:
        return false;
    default:
        return true;
    }
}

/* The container's status from the tender's wait status. */
int oci_init_status(int wait_status, int forwarded)
{
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    if (forwarded != 0 && WEXITSTATUS(wait_status) == 1)
        return 128 + forwarded; /* the tender's own "Exiting on signal" */
    return WEXITSTATUS(wait_status);
}

pid_t oci_init_spawn(char **argv)
{
    sigset_t none;
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[0], argv);
    fprintf(stderr, "solo5-oci-init: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Reap what ended; the status if `child` did, else -1. */
static int reap(pid_t child, int forwarded)
{
    int wait_status;
    pid_t pid;

    while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
        if (pid == child)
            return oci_init_status(wait_status, forwarded);
    }
    return -1;
}

/* Forward signals to `child` (none: -1) until it ends; its status. */
int oci_init_supervise(pid_t child)
{
    sigset_t all;
    int forwarded = 0;

    sigfillset(&all);
    for (;;) {
        int sig = sigwaitinfo(&all, NULL);

        if (sig < 0) {
            if (errno == EINTR)
                continue;
            perror("solo5-oci-init: sigwaitinfo");
            return 1;
        }
        if (sig == SIGCHLD) {
            int status = reap(child, forwarded);
            if (status >= 0)
                return status;
            continue;
        }
        if (child > 0)
            kill(child, sig);
        if (oci_init_terminates(sig)) {
            forwarded = sig;
            if (child <= 0)
                return 128 + sig;
        }
    }
}
