/*
 * hvt_dumpcore.c: the dumpcore module of solo5-hvt-debug (ref §8.2).
 *
 * --dumpcore=DIR: when the guest ends with status 255 (solo5_abort(), a
 * failed assertion, a fatal trap), write DIR/core.solo5-hvt.<tender pid>,
 * created O_EXCL with mode 0600: an ELF64 ET_CORE with one NT_PRSTATUS
 * note (registers from the trap frame when the guest passed one as its
 * HALT cookie, else from the vCPU) and one PT_LOAD at address 0 covering
 * guest memory, where only resident pages (mincore) are written: the file
 * is sparse.  `gdb KERNEL CORE` then shows the faulting frame.
 *
 * DIR is opened, and the very file name tried (created and removed), when
 * the modules are set up: a missing or read-only DIR is an error before the
 * guest runs, not a lost dump at the end.  The dump itself runs under the
 * filter, which allows for it only: openat on DIR's fd with exactly
 * HVT_DUMPCORE_OPEN_FLAGS, dup3 onto HVT_DEBUG_FD_CORE, pwrite64 and
 * ftruncate on that fd, mincore, and renameat2 (RENAME_NOREPLACE) and
 * unlinkat within DIR to finish (the core is written as NAME.partial).
 *
 * The file itself is written by tender_core.c (shared with solo5-spt);
 * this module supplies the registers (hvt_dumpcore_<arch>.c) and the
 * resident pages of the guest mapping.
 *
 * Differences from upstream: the load segment's file offset is
 * page-aligned; a dump that cannot be written says why and the status is
 * still the guest's.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/procfs.h>
#include <unistd.h>

#include "hvt_debug.h"
#include "tender_seccomp.h"
#include "solo5.h"
#include "tender_core.h"

#define CORE_TENDER "solo5-hvt"     /* core.solo5-hvt.<pid> (ref §8.2) */

_Static_assert(HVT_DUMPCORE_OPEN_FLAGS == TENDER_CORE_OPEN_FLAGS,
        "the filter allows exactly the flags tender_core.c opens with");

static int dumpcore_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    return tender_core_cmdarg(arg, &hvt_debug_of(t)->dump_dir, err);
}

static int dumpcore_setup(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    char name[TENDER_CORE_NAME_SIZE];

    if (d->dump_dir == NULL)
        return 0;
    d->pid = getpid();
    tender_core_name(name, sizeof(name), CORE_TENDER, d->pid);
    if (tender_core_check_dir(d->dump_dir, name, &d->dump_dirfd, err) != 0)
        return -1;
    hvt_debug_select_hooks(h);
    return 0;
}

int hvt_dumpcore_before_seccomp(struct tender *t, struct tender_err *err)
{
    struct hvt_debug *d = hvt_debug_of(t);

    return hvt_debug_pin_fd(&d->dump_dirfd, HVT_DEBUG_FD_DUMPDIR,
            "--dumpcore", err);
}

/* What writing the core needs under the filter: creating it in DIR with
 * the pinned flags, moving it to its fixed fd, writing and sizing it, and
 * asking which guest pages are resident (tender_core.c). */
static const struct tender_seccomp_rule hvt_dumpcore_rules[] = {
    { TENDER_SYSCALL(openat), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_DUMPDIR),
        TENDER_ARG_IS(2, HVT_DUMPCORE_OPEN_FLAGS) } },
    { TENDER_SYSCALL(dup3), 1, { TENDER_ARG_IS(1, HVT_DEBUG_FD_CORE) } },
    { TENDER_SYSCALL(pwrite64), 1, { TENDER_ARG_IS(0, HVT_DEBUG_FD_CORE) } },
    { TENDER_SYSCALL(ftruncate), 1, { TENDER_ARG_IS(0, HVT_DEBUG_FD_CORE) } },
    { TENDER_SYSCALL(mincore), 0, { { 0 } } },
    /* Finishing: NAME.partial renamed to NAME, or removed (tender_core.h). */
    { TENDER_SYSCALL(renameat2), 3, { TENDER_ARG_IS(0, HVT_DEBUG_FD_DUMPDIR),
        TENDER_ARG_IS(2, HVT_DEBUG_FD_DUMPDIR),
        TENDER_ARG_IS(4, RENAME_NOREPLACE) } },
    { TENDER_SYSCALL(unlinkat), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_DUMPDIR),
        TENDER_ARG_IS(2, 0) } },
};

const struct tender_seccomp_table hvt_dumpcore_seccomp_rules =
    TENDER_SECCOMP_TABLE(hvt_dumpcore_rules);

static int dumpcore_write(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    struct elf_prstatus ps;
    struct tender_core_note note = { NT_PRSTATUS, &ps, sizeof(ps) };
    struct tender_core c;
    char name[TENDER_CORE_NAME_SIZE];
    int rc = 0;

    tender_core_name(name, sizeof(name), CORE_TENDER, d->pid);
    tender_core_report_start(stderr, t->backend->name, d->dump_dir, name);
    memset(&ps, 0, sizeof(ps));
    if (hvt_dumpcore_prstatus(h, hvt_dumpcore_cookie(h), &ps, err) != 0)
        return -1;
    ps.pr_pid = d->pid;
    if (tender_core_open(&c, d->dump_dirfd, d->dump_dir, name, err) != 0)
        return -1;
    /* The filter knows the core by this number only. */
    if (dup3(c.fd, HVT_DEBUG_FD_CORE, O_CLOEXEC) != HVT_DEBUG_FD_CORE)
        rc = tender_err_set(err, "dumpcore: dup3: %s", strerror(errno));
    else
        c.fd = HVT_DEBUG_FD_CORE;
    if (rc == 0)
        rc = tender_core_begin(&c, t->elf.ehdr.e_machine, 0, h->mem_size,
                &note, 1, err);
    if (rc == 0)
        rc = tender_core_put_resident(&c, h->mem, err);
    if (tender_core_finish(&c, rc, err) != 0)
        return -1;
    tender_core_report_done(stderr, t->backend->name, &c);
    return 0;
}

int hvt_dumpcore_done(struct tender *t, int status, struct tender_err *err)
{
    struct tender_err why;

    (void)err;
    if (status != SOLO5_EXIT_ABORT)
        return status;
    if (dumpcore_write(t, &why) != 0)
        fprintf(stderr, "%s: %s\n", t->backend->name, why.msg);
    return status;
}

const struct tender_module hvt_module_dumpcore = {
    .name = "dumpcore",
    .handle_cmdarg = dumpcore_cmdarg,
    .setup = dumpcore_setup,
    .usage = "    [ --dumpcore=DIR ] (write a core file of the guest to DIR "
            "when it aborts or traps)\n",
};
