/*
 * syscall_deny.c: runs a command with one system call failing (EPERM), for
 * tests/security/test_launch_failure.py: does a tender fail closed when a
 * step of entering the guest fails?
 *
 *   syscall_deny NAME [ARG VALUE] -- COMMAND [ARGS...]
 *
 * NAME fails whenever it is called, or only when its argument number ARG
 * (0-5) equals VALUE (a number, in any base strtoull reads).  The filter
 * is inherited by COMMAND, and every filter COMMAND installs comes after
 * it: the kernel applies the most restrictive answer.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: syscall_deny NAME [ARG VALUE] -- COMMAND "
            "[ARGS...]\n");
    exit(2);
}

static int deny(const char *name, int n_cmp, unsigned arg, uint64_t value)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int nr = seccomp_syscall_resolve_name(name);
    int rc;

    if (ctx == NULL || nr == __NR_SCMP_ERROR) {
        fprintf(stderr, "syscall_deny: no system call %s\n", name);
        return -1;
    }
    rc = n_cmp == 0 ?
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) :
        seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
                SCMP_CMP(arg, SCMP_CMP_EQ, value));
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0)
        fprintf(stderr, "syscall_deny: %s: %s\n", name, strerror(-rc));
    return rc;
}

int main(int argc, char **argv)
{
    int sep = argc > 2 && strcmp(argv[2], "--") == 0 ? 2 :
        argc > 4 && strcmp(argv[4], "--") == 0 ? 4 : 0;
    unsigned long arg = 0;
    uint64_t value = 0;

    if (sep == 0 || sep + 1 >= argc)
        usage();
    if (sep == 4) {
        char *end1, *end2;

        arg = strtoul(argv[2], &end1, 10);
        value = strtoull(argv[3], &end2, 0);
        if (*end1 != '\0' || *end2 != '\0' || arg > 5)
            usage();
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            deny(argv[1], sep == 4, (unsigned)arg, value) != 0)
        return 1;
    execv(argv[sep + 1], argv + sep + 1);
    fprintf(stderr, "syscall_deny: %s: %s\n", argv[sep + 1], strerror(errno));
    return 127;
}
