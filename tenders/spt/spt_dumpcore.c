/*
 * spt_dumpcore.c: --dumpcore=DIR for solo5-spt (beyond upstream, which has
 * none): an ELF core of the guest when it aborts (exit status 255), is
 * killed by SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP or SIGABRT, or breaks
 * the seccomp policy (SIGSYS).
 *
 * The guest runs in the tender's process under a filter that allows only
 * what the bindings need, and none of these ends leaves it a chance to
 * write anything: a forbidden call kills the process outright, exit_group
 * does not return.  So with --dumpcore the tender forks right before
 * installing the filter: the child becomes the guest exactly as without
 * the option (same filter, same launch), the parent stays outside it as
 * the child's ptrace tracer, waiting only.  At the child's exit
 * (PTRACE_EVENT_EXIT: registers and memory still intact) the parent reads
 * the registers (PTRACE_GETREGSET) and the guest range of its memory
 * (/proc/PID/mem, present pages per /proc/PID/pagemap), writes
 * DIR/core.solo5-spt.<tender pid> (O_EXCL, 0600; same messages as hvt),
 * lets the child finish and exits the way it did (same status, or the
 * same signal, without a host core of its own).  Without --dumpcore
 * nothing of this happens: one process, the unchanged policy.  The file
 * itself is written by tender_core.c (shared with solo5-hvt-debug).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spt.h"
#include "tender_core.h"

#define CORE_TENDER "solo5-spt"     /* core.solo5-spt.<pid> */
#define PAGE ((uint64_t)TENDER_PAGE_SIZE)
#define PAGEMAP_CHUNK 512
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)
#define STATUS_ABORT 255

int spt_dumpcore_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    return tender_core_cmdarg(arg, &spt_of(t)->dump_dir, err);
}

/* Opens DIR and tries the very file name now: a bad DIR fails before the
 * guest runs. */
int spt_dumpcore_setup(struct tender *t, struct tender_err *err)
{
    struct spt *spt = spt_of(t);
    char name[TENDER_CORE_NAME_SIZE];

    if (spt->dump_dir == NULL)
        return 0;
    spt->dump_pid = getpid();
    tender_core_name(name, sizeof(name), CORE_TENDER, spt->dump_pid);
    return tender_core_check_dir(spt->dump_dir, name, &spt->dump_dirfd, err);
}

/* --- The core file. --- */

static bool dumpcore_zero(const uint8_t *p)
{
    for (size_t i = 0; i < PAGE; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Copies the present, non-zero pages of the guest range from the child's
 * memory. */
static int dumpcore_memory(struct tender_core *c, pid_t pid,
        struct tender_err *err)
{
    char path[64];
    uint64_t map[PAGEMAP_CHUNK];
    static uint8_t page[PAGE];
    uint64_t end = c->base + c->size;
    int mem, pagemap;
    int rc = 0;

    snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
    mem = open(path, O_RDONLY | O_CLOEXEC);
    if (mem < 0)
        return tender_err_set(err, "dumpcore: %s: %s", path,
                strerror(errno));
    snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
    pagemap = open(path, O_RDONLY | O_CLOEXEC);
    for (uint64_t addr = c->base; rc == 0 && addr < end;
            addr += PAGEMAP_CHUNK * PAGE) {
        uint64_t n = (end - addr) / PAGE;

        n = n < PAGEMAP_CHUNK ? n : PAGEMAP_CHUNK;
        /* Without pagemap every page is read and zero ones are skipped. */
        if (pagemap < 0 || pread(pagemap, map, n * sizeof(map[0]),
                    (off_t)(addr / PAGE * sizeof(map[0]))) !=
                (ssize_t)(n * sizeof(map[0])))
            for (uint64_t i = 0; i < n; i++)
                map[i] = PAGEMAP_PRESENT;
        for (uint64_t i = 0; rc == 0 && i < n; i++) {
            uint64_t a = addr + i * PAGE;

            if (!(map[i] & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED)))
                continue;
            if (pread(mem, page, PAGE, (off_t)a) != (ssize_t)PAGE)
                continue;       /* not readable at all: a hole */
            if (dumpcore_zero(page))
                continue;
            rc = tender_core_put(c, a, page, PAGE, err);
        }
    }
    close(mem);
    if (pagemap >= 0)
        close(pagemap);
    return rc;
}

static int dumpcore_write(struct tender *t, pid_t child, int sig,
        struct tender_err *err)
{
    struct spt *spt = spt_of(t);
    struct elf_prstatus ps;
    elf_fpregset_t fp;          /* user_fpregs_struct, user_fpsimd_struct */
    struct iovec iov = { .iov_base = &ps.pr_reg,
        .iov_len = sizeof(ps.pr_reg) };
    struct tender_core_note notes[] = {
        { NT_PRSTATUS, &ps, sizeof(ps) },
        { NT_PRFPREG, &fp, sizeof(fp) },
    };
    size_t n_notes = 2;
    struct tender_core c;
    char name[TENDER_CORE_NAME_SIZE];
    int rc;

    tender_core_name(name, sizeof(name), CORE_TENDER, spt->dump_pid);
    tender_core_report_start(stderr, t->backend->name, spt->dump_dir, name);
    memset(&ps, 0, sizeof(ps));
    if (ptrace(PTRACE_GETREGSET, child, (void *)NT_PRSTATUS, &iov) != 0)
        return tender_err_set(err, "dumpcore: PTRACE_GETREGSET: %s",
                strerror(errno));
    iov = (struct iovec){ .iov_base = &fp, .iov_len = sizeof(fp) };
    if (ptrace(PTRACE_GETREGSET, child, (void *)NT_PRFPREG, &iov) != 0)
        n_notes = 1;
    ps.pr_pid = child;
    ps.pr_cursig = (short)sig;
    ps.pr_info.si_signo = sig;

    if (tender_core_open(&c, spt->dump_dirfd, spt->dump_dir, name, err) != 0)
        return -1;
    rc = tender_core_begin(&c, t->elf.ehdr.e_machine, t->mem.base,
            t->mem.size - t->mem.base, notes, n_notes, err);
    if (rc == 0)
        rc = dumpcore_memory(&c, child, err);
    rc = tender_core_finish(&c, rc, err);
    close(c.fd);
    if (rc == 0)
        tender_core_report_done(stderr, t->backend->name, &c);
    return rc;
}

/* --- The tracer. --- */

/* The signal the core names for an exit, or 0 if it gets no core. */
static int dumpcore_signal(unsigned long exit_code)
{
    int sig = (int)(exit_code & 0x7f);

    if (sig == 0)
        return ((exit_code >> 8) & 0xff) == STATUS_ABORT ? SIGABRT : 0;
    switch (sig) {
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
    case SIGTRAP:
    case SIGABRT:
    case SIGSYS:
        return sig;
    default:
        return 0;
    }
}

/* Ends this process the way the child ended. */
__attribute__((noreturn))
static void dumpcore_mirror(int status)
{
    if (WIFSIGNALED(status)) {
        struct rlimit none = { 0, 0 };
        int sig = WTERMSIG(status);

        setrlimit(RLIMIT_CORE, &none);
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

__attribute__((noreturn))
static void dumpcore_trace(struct tender *t, pid_t child)
{
    struct tender_err err;
    int status;

    for (;;) {
        unsigned long msg;
        int sig = 0;

        if (waitpid(child, &status, __WALL) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: dumpcore: waitpid: %s\n", t->backend->name,
                    strerror(errno));
            _exit(1);
        }
        if (WIFEXITED(status) || WIFSIGNALED(status))
            dumpcore_mirror(status);
        if (!WIFSTOPPED(status))
            continue;
        if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            if (ptrace(PTRACE_GETEVENTMSG, child, 0, &msg) == 0 &&
                    (sig = dumpcore_signal(msg)) != 0 &&
                    dumpcore_write(t, child, sig, &err) != 0)
                fprintf(stderr, "%s: %s\n", t->backend->name, err.msg);
            sig = 0;
        } else {
            sig = WSTOPSIG(status);     /* deliver it */
        }
        ptrace(PTRACE_CONT, child, 0, (void *)(uintptr_t)sig);
    }
}

int spt_dumpcore_fork(struct tender *t, struct tender_err *err)
{
    pid_t child;
    int status;

    if (spt_of(t)->dump_dir == NULL)
        return 0;
    child = fork();
    if (child < 0)
        return tender_err_set(err, "dumpcore: fork: %s", strerror(errno));
    if (child == 0) {
        /* The guest: DIR is the parent's business; stopped until the
         * parent traces it. */
        close(spt_of(t)->dump_dirfd);
        spt_of(t)->dump_dirfd = -1;
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
            return tender_err_set(err, "dumpcore: PTRACE_TRACEME: %s",
                    strerror(errno));
        raise(SIGSTOP);
        return 0;
    }
    while (waitpid(child, &status, __WALL) < 0 && errno == EINTR)
        ;
    if (!WIFSTOPPED(status) || ptrace(PTRACE_SETOPTIONS, child, 0,
                (void *)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL)) != 0) {
        kill(child, SIGKILL);
        fprintf(stderr, "%s: dumpcore: cannot trace the guest: %s\n",
                t->backend->name, strerror(errno));
        _exit(1);
    }
    ptrace(PTRACE_CONT, child, 0, 0);
    dumpcore_trace(t, child);
}
