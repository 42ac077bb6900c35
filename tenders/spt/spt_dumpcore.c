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
 * nothing of this happens: one process, the unchanged policy.
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

#define OPT_DUMPCORE "--dumpcore="
#define OPEN_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)
#define PAGE 4096ULL
#define PAGEMAP_CHUNK 512
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_SWAPPED (1ULL << 62)
#define STATUS_ABORT 255
#define NOTE_NAME "CORE"
#define NOTE_NAME_PADDED 8

int spt_dumpcore_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    struct spt *spt = spt_of(t);

    if (strncmp(arg, OPT_DUMPCORE, strlen(OPT_DUMPCORE)) != 0)
        return TENDER_ARG_UNKNOWN;
    spt->dump_dir = arg + strlen(OPT_DUMPCORE);
    if (spt->dump_dir[0] == '\0') {
        tender_err_set(err, "--dumpcore: a directory is required "
                "(--dumpcore=DIR)");
        return TENDER_ARG_ERROR;
    }
    return TENDER_ARG_HANDLED;
}

static void dumpcore_name(const struct spt *spt, char *buf, size_t size)
{
    snprintf(buf, size, "core.solo5-spt.%d", (int)spt->dump_pid);
}

/* Opens DIR and tries the very file name now: a bad DIR fails before the
 * guest runs. */
int spt_dumpcore_setup(struct tender *t, struct tender_err *err)
{
    struct spt *spt = spt_of(t);
    char name[64];
    int fd;

    if (spt->dump_dir == NULL)
        return 0;
    spt->dump_pid = getpid();
    spt->dump_dirfd = open(spt->dump_dir, O_RDONLY | O_DIRECTORY |
            O_CLOEXEC);
    if (spt->dump_dirfd < 0)
        return tender_err_set(err, "--dumpcore: %s: %s", spt->dump_dir,
                strerror(errno));
    dumpcore_name(spt, name, sizeof(name));
    fd = openat(spt->dump_dirfd, name, OPEN_FLAGS, 0600);
    if (fd < 0)
        return tender_err_set(err, "--dumpcore: cannot create %s/%s: %s",
                spt->dump_dir, name, strerror(errno));
    close(fd);
    unlinkat(spt->dump_dirfd, name, 0);
    return 0;
}

/* --- The core file. --- */

struct core_header {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
};

struct core_note {
    Elf64_Nhdr nh;
    char name[NOTE_NAME_PADDED];
};

static int dumpcore_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* Appends one "CORE" note at *off. */
static int dumpcore_note(int fd, uint64_t *off, uint32_t type,
        const void *desc, size_t size)
{
    struct core_note n = {
        .nh = { .n_namesz = sizeof(NOTE_NAME), .n_descsz = (uint32_t)size,
            .n_type = type },
        .name = NOTE_NAME,
    };

    if (dumpcore_pwrite(fd, &n, sizeof(n), *off) != 0 ||
            dumpcore_pwrite(fd, desc, size, *off + sizeof(n)) != 0)
        return -1;
    *off += sizeof(n) + ((size + 3) & ~3ULL);
    return 0;
}

static bool dumpcore_zero(const uint8_t *p)
{
    for (size_t i = 0; i < PAGE; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Copies the present pages of [base, end) from the child's memory. */
static int dumpcore_memory(pid_t pid, int fd, uint64_t base, uint64_t end,
        uint64_t file_off, uint64_t *written)
{
    char path[64];
    uint64_t map[PAGEMAP_CHUNK];
    static uint8_t page[PAGE];
    int mem, pagemap;
    int rc = 0;

    snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
    mem = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
    pagemap = open(path, O_RDONLY | O_CLOEXEC);
    if (mem < 0)
        return -1;
    *written = 0;
    for (uint64_t addr = base; rc == 0 && addr < end;
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
            rc = dumpcore_pwrite(fd, page, PAGE, file_off + (a - base));
            (*written)++;
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
    struct core_header h;
    struct elf_prstatus ps;
    struct user_fpregs_struct fp;
    struct iovec iov = { .iov_base = &ps.pr_reg,
        .iov_len = sizeof(ps.pr_reg) };
    uint64_t base = t->mem.base, end = t->mem.size, off, mem_off, written;
    bool have_fp;
    char name[64];
    int fd;

    dumpcore_name(spt, name, sizeof(name));
    fprintf(stderr, "%s: dumpcore: dumping guest core to: %s/%s\n",
            t->backend->name, spt->dump_dir, name);
    memset(&ps, 0, sizeof(ps));
    if (ptrace(PTRACE_GETREGSET, child, (void *)NT_PRSTATUS, &iov) != 0)
        return tender_err_set(err, "dumpcore: PTRACE_GETREGSET: %s",
                strerror(errno));
    iov = (struct iovec){ .iov_base = &fp, .iov_len = sizeof(fp) };
    have_fp = ptrace(PTRACE_GETREGSET, child, (void *)NT_PRFPREG, &iov) == 0;
    ps.pr_pid = child;
    ps.pr_cursig = (short)sig;
    ps.pr_info.si_signo = sig;

    fd = openat(spt->dump_dirfd, name, OPEN_FLAGS, 0600);
    if (fd < 0)
        return tender_err_set(err, "dumpcore: %s/%s: %s", spt->dump_dir,
                name, strerror(errno));
    memset(&h, 0, sizeof(h));
    memcpy(h.eh.e_ident, ELFMAG, SELFMAG);
    h.eh.e_ident[EI_CLASS] = ELFCLASS64;
    h.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    h.eh.e_ident[EI_VERSION] = EV_CURRENT;
    h.eh.e_type = ET_CORE;
    h.eh.e_machine = t->elf.ehdr.e_machine;
    h.eh.e_version = EV_CURRENT;
    h.eh.e_phoff = offsetof(struct core_header, ph);
    h.eh.e_ehsize = sizeof(h.eh);
    h.eh.e_phentsize = sizeof(h.ph[0]);
    h.eh.e_phnum = 2;
    off = sizeof(h);
    if (dumpcore_note(fd, &off, NT_PRSTATUS, &ps, sizeof(ps)) != 0 ||
            (have_fp && dumpcore_note(fd, &off, NT_PRFPREG, &fp,
                    sizeof(fp)) != 0))
        goto fail;
    mem_off = (off + PAGE - 1) & ~(PAGE - 1);
    h.ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = sizeof(h),
        .p_filesz = off - sizeof(h), .p_align = 4 };
    h.ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
        .p_flags = PF_R | PF_W | PF_X, .p_offset = mem_off,
        .p_vaddr = base, .p_paddr = base, .p_filesz = end - base,
        .p_memsz = end - base, .p_align = PAGE };
    if (dumpcore_pwrite(fd, &h, sizeof(h), 0) != 0 ||
            ftruncate(fd, (off_t)(mem_off + end - base)) != 0 ||
            dumpcore_memory(child, fd, base, end, mem_off, &written) != 0)
        goto fail;
    close(fd);
    fprintf(stderr, "%s: dumpcore: dumped %llu pages of total %llu pages\n",
            t->backend->name, (unsigned long long)written,
            (unsigned long long)((end - base) / PAGE));
    return 0;
fail:
    tender_err_set(err, "dumpcore: %s/%s: %s", spt->dump_dir, name,
            strerror(errno));
    close(fd);
    return -1;
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
