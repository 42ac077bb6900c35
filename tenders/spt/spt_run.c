/*
 * spt_run.c: drop privileges and enter the guest.
 *
 * After this the tender process *is* the guest: its exit status is the
 * guest's (exit_group), SIGSEGV gives 139 and a forbidden system call
 * SIGSYS, 159.  No signal handlers are left installed.
 */
#include <errno.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#include "spt.h"
#include "spt_abi.h"
#include "tender_seccomp.h"

int spt_run(struct tender *t, struct tender_err *err)
{
    /* On the stack: nothing to free once the filter is in place. */
    struct sock_filter insns[BPF_MAXINSNS], bounds_insns[BPF_MAXINSNS];
    struct sock_fprog prog = { .filter = insns };
    struct sock_fprog bounds = { .filter = bounds_insns };
    int persona;

    persona = personality(0xffffffff);
    if (persona < 0)
        return tender_err_set(err, "personality: %s", strerror(errno));
    if (persona & READ_IMPLIES_EXEC)
        return tender_err_set(err, "Cannot run with the READ_IMPLIES_EXEC "
                "personality: it would make guest data executable");
    if (spt_seccomp_build(t, &prog, &bounds, BPF_MAXINSNS, err) != 0)
        return -1;

    close(t->kernel_fd);
    t->kernel_fd = -1;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    fflush(NULL);

    /* --dumpcore: from here on this is a traced child (spt_dumpcore.c). */
    if (spt_dumpcore_fork(t, err) != 0)
        return -1;
    if (tender_seccomp_install(&prog, &bounds, err) != 0)
        return -1;
    spt_launch(t->mem.size, t->entry, SPT_BOOT_INFO_BASE);
}
