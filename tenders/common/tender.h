/*
 * tender.h: what every tender (solo5-spt, solo5-hvt) shares: the run state,
 * the backend interface and the module interface, and the shared main.
 *
 * A tender is a backend (how guest memory is made, how the guest is run)
 * plus a list of modules (core, block, net, ... : command-line options and
 * device setup).  tender_main() drives them in this order:
 *   0. fds 0, 1 and 2 open (/dev/null for a closed one: tender_main.c);
 *   1. first pass over argv: --help, --version, --, find KERNEL;
 *   1a. the backend's optional prepare hook (background work that needs
 *      nothing from KERNEL or the options: solo5-hvt opens /dev/kvm);
 *   2. open KERNEL, check its ABI1 note, load and validate its manifest;
 *   3. second pass: --mem= (core) and every other option offered to the
 *      modules in order; an option nobody takes is an error;
 *   4. SIGINT/SIGTERM print "Exiting on signal <n>" and exit 1;
 *   5. backend: size memory, set it up; load the ELF (protections through
 *      the backend's protect hook);
 *   6. module setup; every device declared in the manifest must be attached;
 *   7. backend: write the boot info, then run (drop privileges, start).
 */
#ifndef TENDER_H
#define TENDER_H

#include <stddef.h>
#include <stdint.h>

#include "mft_abi.h"
#include "tender_elf.h"
#include "tender_err.h"

struct tender {
    const struct tender_backend *backend;
    const char *kernel;         /* path, as given */
    int kernel_fd;
    struct tender_elf elf;
    struct mft *mft;            /* the host copy; modules fill it in */
    size_t mft_size;
    uint64_t mem_mib;           /* --mem, as requested */
    struct tender_mem mem;      /* set by the backend's mem_setup */
    uint64_t entry;
    uint64_t kernel_end;
    char *cmdline;              /* the guest's: ARGS joined by spaces */
    void *priv;                 /* backend state */
    uint64_t io_warned;         /* devices (bit = manifest index) whose
                                   host I/O error was reported (atomic) */
};

/* Results of a module's handle_cmdarg. */
enum tender_arg {
    TENDER_ARG_ERROR = -1,      /* fatal: print err, exit 1 */
    TENDER_ARG_HANDLED = 0,
    TENDER_ARG_UNKNOWN = 1,     /* not this module's option */
    TENDER_ARG_INVALID = 2,     /* print err, then "Invalid option" + usage */
};

struct tender_module {
    const char *name;
    /* Returns an enum tender_arg.  May be NULL. */
    int (*handle_cmdarg)(struct tender *t, const char *arg,
            struct tender_err *err);
    /* Runs after the ELF is loaded.  May be NULL. */
    int (*setup)(struct tender *t, struct tender_err *err);
    /* Option lines for --help, each "    [ --opt ] (meaning)\n".  May be NULL. */
    const char *usage;
};

struct tender_backend {
    const char *name;           /* "solo5-spt" */
    uint32_t abi_target;
    uint32_t abi_version;
    uint64_t default_mem_mib;
    size_t cmdline_size;        /* bytes reserved, the NUL included */
    const struct tender_module *const *modules; /* NULL-terminated */
    /* Optional: once the tender knows it will run a KERNEL, before it reads
     * anything: starts what needs nothing from the image or the options,
     * in the background.  It reports no error: what fails there fails
     * again where it is needed, and is reported then. */
    void (*prepare)(struct tender *t);
    /* Turns --mem (MiB, > 0) into bytes by the backend's rule. */
    int (*mem_size)(uint64_t mib, uint64_t *bytes, struct tender_err *err);
    /* Allocates guest memory of `bytes`; fills in t->mem. */
    int (*mem_setup)(struct tender *t, uint64_t bytes, struct tender_err *err);
    tender_elf_protect_fn protect;  /* called with ctx = t */
    /* Writes the boot info, manifest copy and command line. */
    int (*boot_info)(struct tender *t, struct tender_err *err);
    /* Runs the guest; returns its exit status, or -1 with err set. */
    int (*run)(struct tender *t, struct tender_err *err);
};

/* The shared main: returns the process exit status.  `priv` -> t->priv. */
int tender_main(const struct tender_backend *backend, int argc, char **argv,
        void *priv);

/* Prints "<tender>: WARNING: <msg>" to stderr. */
void tender_warn(const struct tender *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --- Pure helpers (tender_args.c), unit-tested. --- */

/* tender_memlimit.c: refuses --mem (mem_mib, `bytes` of guest memory)
 * above what the tender's memory cgroup allows. */
int tender_memlimit_check(uint64_t mem_mib, uint64_t bytes,
        struct tender_err *err);

/* tender_memlimit_fast.c: the conventional mount points of the cgroup
 * hierarchies, where proved to show the hierarchy's root (NULL: not
 * proved), and whether the process is in the initial cgroup namespace. */
bool tender_cgroup_initial_ns(void);
const char *tender_cgroup_v1_memory_root(void);
const char *tender_cgroup_v2_root(void);

/* Parses the value of --mem=: a positive decimal number of MiB. */
int tender_parse_mem(const char *value, uint64_t *mib, struct tender_err *err);

/* Parses `value`, decimal digits only, into *out: 0, or one of these. */
enum {
    TENDER_DECIMAL_MALFORMED = -1,  /* empty, or not a digit */
    TENDER_DECIMAL_TOO_LARGE = -2,  /* above `max` */
};
int tender_parse_decimal(const char *value, uint64_t max, uint64_t *out);

/*
 * Joins `n` arguments with single spaces into a malloc'd string of at most
 * `size` bytes including the NUL.
 */
int tender_cmdline(char *const *args, int n, size_t size, char **out,
        struct tender_err *err);

/*
 * If `arg` is "<prefix>NAME=VALUE" (prefix e.g. "--block:"), points *name
 * and *value into a copy in `buf` and returns 1; returns 0 if `arg` does
 * not start with prefix, -1 (err set) if the rest is malformed.
 * NAME must be 1..MFT_NAME_MAX alphanumeric characters.
 */
int tender_parse_device_arg(const char *arg, const char *prefix, char *buf,
        size_t buf_size, const char **name, const char **value,
        struct tender_err *err);

#endif /* TENDER_H */
