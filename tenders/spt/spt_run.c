/*
 * spt_run.c: drop privileges and enter the guest.
 *
 * After this the tender process *is* the guest: its exit status is the
 * guest's (exit_group), SIGSEGV gives 139 and a forbidden system call
 * SIGSYS, 159.  No signal handlers are left installed, and nothing of the
 * tender stays mapped (spt_launch.c).
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
    struct sock_filter *insns[2];
    struct spt_launch *launch;
    struct sock_fprog prog, bounds;
    int persona;

    persona = personality(0xffffffff);
    if (persona < 0)
        return tender_err_set(err, "personality: %s", strerror(errno));
    if (persona & READ_IMPLIES_EXEC)
        return tender_err_set(err, "Cannot run with the READ_IMPLIES_EXEC "
                "personality: it would make guest data executable");
    /* The filters are built straight into the launch block. */
    launch = spt_launch_prepare(t, insns, BPF_MAXINSNS, err);
    if (launch == NULL)
        return -1;
    prog = (struct sock_fprog){ .filter = insns[0] };
    bounds = (struct sock_fprog){ .filter = insns[1] };
    if (spt_seccomp_build(t, &prog, &bounds, BPF_MAXINSNS, err) != 0)
        return -1;
    /* The bounds first: once the policy is in place, seccomp() is not
     * allowed any more. */
    spt_launch_set_filters(launch, &bounds, &prog);

    close(t->kernel_fd);
    t->kernel_fd = -1;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    spt_launch_debugger_hint(t);
    fflush(NULL);

    /* --dumpcore: from here on this is a traced child (spt_dumpcore.c). */
    if (spt_dumpcore_fork(t, err) != 0)
        return -1;
    if (spt_launch_detach(err) != 0)
        return -1;
    spt_launch(launch);
}
