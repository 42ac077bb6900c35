/*
 * tender_main.c: the main shared by every tender (see tender.h for the
 * order of events).  This is the one place that prints errors and exits;
 * everything it calls returns errors.
 *
 * Differences from upstream Solo5, on purpose:
 *  - --help prints to stdout and exits 0, --version prints to stdout;
 *  - the argument after --mem=... is not also offered to the modules;
 *  - every failure is one line naming the file or option, exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tender.h"
#include "tender_abi.h"
#include "tender_mft.h"

#ifndef TENDER_VERSION
#error "TENDER_VERSION must be defined by the build (toolchain/version.py)"
#endif

#define MEM_OPTION "--mem="

static void usage(const struct tender_backend *b, FILE *f)
{
    fprintf(f, "usage: %s [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] "
            "KERNEL [ ARGS ]\n", b->name);
    fprintf(f, "KERNEL is the filename of the unikernel to run.\n");
    fprintf(f, "ARGS are optional arguments passed to KERNEL.\n");
    fprintf(f, "Core options:\n");
    fprintf(f, "    [ --mem=%llu ] (guest memory in MB)\n",
            (unsigned long long)b->default_mem_mib);
    fprintf(f, "    --help (display this help)\n");
    fprintf(f, "    --version (display version information)\n");
    fprintf(f, "Compiled-in modules:");
    for (const struct tender_module *const *m = b->modules; *m; m++)
        fprintf(f, " %s", (*m)->name);
    fprintf(f, "\nCompiled-in module options:\n");
    for (const struct tender_module *const *m = b->modules; *m; m++) {
        if ((*m)->usage != NULL)
            fputs((*m)->usage, f);
    }
}

static void version(const struct tender_backend *b)
{
    printf("%s tender, version %s\n", b->name, TENDER_VERSION);
    printf("ABI version %u\n", b->abi_version);
}

__attribute__((format(printf, 2, 3)))
static void error(const struct tender_backend *b, const char *fmt, ...)
{
    char prefix[64];
    va_list ap;

    snprintf(prefix, sizeof(prefix), "%s: ", b->name);
    va_start(ap, fmt);
    tender_err_vprint(prefix, fmt, ap);
    va_end(ap);
}

void tender_warn(const struct tender *t, const char *fmt, ...)
{
    char prefix[64];
    va_list ap;

    snprintf(prefix, sizeof(prefix), "%s: WARNING: ", t->backend->name);
    va_start(ap, fmt);
    tender_err_vprint(prefix, fmt, ap);
    va_end(ap);
}

/* Async-signal-safe: write(2) and _exit(2) only. */
static void on_signal(int sig)
{
    char msg[] = "Exiting on signal   \n";
    size_t n = sizeof("Exiting on signal ") - 1;

    if (sig >= 10)
        msg[n++] = (char)('0' + sig / 10 % 10);
    msg[n++] = (char)('0' + sig % 10);
    msg[n++] = '\n';
    if (write(STDERR_FILENO, msg, n) < 0)
        _exit(1);
    _exit(1);
}

/*
 * Fds 0, 1 and 2 are open before the tender opens anything: started with
 * one of them closed, it would give that number to the unikernel file or a
 * device, and the console (write to fd 1, which both seccomp policies
 * allow) would then go there: a guest's output appended to its block
 * device's file, past the bounds the filters put on its transfers.  A
 * closed one gets /dev/null, as for a set-uid program.
 */
static int stdio_open(const struct tender_backend *b)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        if (open("/dev/null", O_RDWR) != fd) {
            error(b, "fd %d is closed, and /dev/null cannot take its place: "
                    "%s", fd, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/*
 * First pass: returns the index of KERNEL in argv, 0 after --help/--version
 * (with *status set), or -1 if KERNEL is missing.
 */
static int first_pass(const struct tender_backend *b, int argc, char **argv,
        int *status)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return i + 1 < argc ? i + 1 : -1;
        if (strcmp(argv[i], "--help") == 0) {
            usage(b, stdout);
            *status = 0;
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            version(b);
            *status = 0;
            return 0;
        }
        if (argv[i][0] != '-')
            return i;
    }
    return -1;
}

/* Opens KERNEL and reads what the tender needs before option pass two. */
static int open_kernel(struct tender *t)
{
    const struct tender_backend *b = t->backend;
    struct tender_err err;
    int rc;

    /* Non-blocking, so that a FIFO cannot hang the open; the loader then
     * refuses anything but a regular file (reads of one never block). */
    t->kernel_fd = open(t->kernel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (t->kernel_fd < 0) {
        error(b, "%s: Could not open: %s", t->kernel, strerror(errno));
        return -1;
    }
    if (tender_elf_read(t->kernel_fd, &t->elf, &err) != 0) {
        error(b, "%s: invalid executable: %s", t->kernel, err.msg);
        return -1;
    }
    if (tender_abi_check(t->kernel_fd, &t->elf, b->abi_target,
                b->abi_version, b->name, &err) != 0) {
        error(b, "%s: %s", t->kernel, err.msg);
        return -1;
    }
    rc = tender_mft_load(t->kernel_fd, &t->elf, &t->mft, &t->mft_size, &err);
    if (rc == 0) {
        error(b, "%s: No Solo5 manifest found in executable", t->kernel);
        return -1;
    }
    if (rc == TENDER_MFT_INVALID) {
        error(b, "%s: Solo5 manifest is invalid: %s", t->kernel, err.msg);
        return -1;
    }
    if (rc < 0) {
        error(b, "%s: invalid executable: %s", t->kernel, err.msg);
        return -1;
    }
    return 0;
}

/* Offers `arg` to each module in turn. */
static int module_option(struct tender *t, const char *arg)
{
    const struct tender_backend *b = t->backend;
    struct tender_err err;

    for (const struct tender_module *const *m = b->modules; *m; m++) {
        int rc;

        if ((*m)->handle_cmdarg == NULL)
            continue;
        rc = (*m)->handle_cmdarg(t, arg, &err);
        if (rc == TENDER_ARG_HANDLED)
            return 0;
        if (rc == TENDER_ARG_UNKNOWN)
            continue;
        error(b, "%s", err.msg);
        if (rc == TENDER_ARG_ERROR)
            return -1;
        break;
    }
    error(b, "Invalid option: `%s'", arg);
    usage(b, stderr);
    return -1;
}

/* Second pass over the options before KERNEL. */
static int second_pass(struct tender *t, int kernel_idx, char **argv)
{
    struct tender_err err;

    t->mem_mib = t->backend->default_mem_mib;
    for (int i = 1; i < kernel_idx; i++) {
        const char *arg = argv[i];

        if (strcmp(arg, "--") == 0)
            break;
        if (strncmp(arg, MEM_OPTION, strlen(MEM_OPTION)) == 0) {
            if (tender_parse_mem(arg + strlen(MEM_OPTION), &t->mem_mib,
                        &err) != 0) {
                error(t->backend, "%s: `%s'", err.msg, arg);
                return -1;
            }
            continue;
        }
        if (module_option(t, arg) != 0)
            return -1;
    }
    return 0;
}

static int check_attached(struct tender *t)
{
    bool missing = false;

    for (unsigned i = 1; i < t->mft->entries; i++) {
        const struct mft_entry *e = &t->mft->e[i];

        if (e->attached)
            continue;
        error(t->backend, "Device '%s' of type %s declared but not "
                "attached.", e->name, tender_mft_type_name(e->type));
        missing = true;
    }
    if (missing) {
        error(t->backend, "All declared devices must be attached. See "
                "--help for syntax.");
        return -1;
    }
    return 0;
}

static int setup(struct tender *t, char **guest_args, int n_guest_args)
{
    const struct tender_backend *b = t->backend;
    struct tender_err err;
    uint64_t bytes;

    if (tender_cmdline(guest_args, n_guest_args, b->cmdline_size,
                &t->cmdline, &err) != 0) {
        error(b, "%s", err.msg);
        return -1;
    }
    if (b->mem_size(t->mem_mib, &bytes, &err) != 0 ||
            tender_memlimit_check(t->mem_mib, bytes, &err) != 0 ||
            b->mem_setup(t, bytes, &err) != 0) {
        error(b, "%s", err.msg);
        return -1;
    }
    if (tender_elf_load(t->kernel_fd, &t->elf, &t->mem, b->protect, t,
                &t->entry, &t->kernel_end, &err) != 0) {
        error(b, "%s: invalid executable: %s", t->kernel, err.msg);
        return -1;
    }
    for (const struct tender_module *const *m = b->modules; *m; m++) {
        if ((*m)->setup != NULL && (*m)->setup(t, &err) != 0) {
            error(b, "%s", err.msg);
            return -1;
        }
    }
    if (check_attached(t) != 0)
        return -1;
    if (b->boot_info(t, &err) != 0) {
        error(b, "%s", err.msg);
        return -1;
    }
    return 0;
}

int tender_main(const struct tender_backend *b, int argc, char **argv,
        void *priv)
{
    struct tender t = { .backend = b, .kernel_fd = -1, .priv = priv };
    struct tender_err err;
    int kernel_idx, status = 1;

    if (stdio_open(b) != 0)
        return 1;
    kernel_idx = first_pass(b, argc, argv, &status);
    if (kernel_idx == 0)
        return status;
    if (kernel_idx < 0) {
        error(b, "Missing KERNEL operand");
        usage(b, stderr);
        return 1;
    }
    t.kernel = argv[kernel_idx];
    if (b->prepare != NULL)
        b->prepare(&t);
    if (open_kernel(&t) != 0 || second_pass(&t, kernel_idx, argv) != 0)
        return 1;

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    if (setup(&t, argv + kernel_idx + 1, argc - kernel_idx - 1) != 0)
        return 1;
    status = b->run(&t, &err);
    if (status < 0) {
        error(b, "%s", err.msg);
        status = 1;
    }
    /* Not a return: a backend's threads (hvt's I/O thread) still run and
     * use `t` and the backend's state in main()'s frame; returning would
     * hand that stack to exit()'s own work while they read it (a thread
     * then issued a system call on a garbage fd and the filter killed the
     * tender after the guest had exited).  exit() ends them all. */
    exit(status);
}
