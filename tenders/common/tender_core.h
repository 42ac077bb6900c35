/*
 * tender_core.h: the ELF core file of a guest, for --dumpcore=DIR (ref §8.2).
 *
 * Shared by solo5-hvt-debug (hvt_dumpcore*.c) and solo5-spt
 * (spt_dumpcore.c); each keeps only how it gets the guest's registers and
 * memory.  The file, DIR/core.<tender>.<pid>, is written as
 * DIR/core.<tender>.<pid>.partial (created O_EXCL with mode 0600) and
 * renamed once complete; a core that fails half-way is removed, so that no
 * truncated core is ever taken for a whole one (one the tender is killed
 * while writing keeps the .partial name).  It holds:
 *
 *   ELF64 header (ET_CORE), two program headers:
 *     PT_NOTE  the notes, "CORE" each (NT_PRSTATUS first: what gdb needs);
 *     PT_LOAD  RWX, the whole guest range at its guest address, at a
 *              page-aligned file offset;
 *   the notes, right after the program headers;
 *   guest memory, of which only the pages the tender writes take space:
 *   the file is sized first and written sparsely.
 *
 * Writing uses pwrite() and ftruncate() on the given fd only, plus
 * mincore() for tender_core_put_resident(), and renameat2()/unlinkat() in
 * DIR to finish: hvt writes the core under its seccomp filter, which
 * allows exactly these.  Failures return -1 with
 * `dumpcore: DIR/NAME: <errno text>` in the tender_err; nothing prints
 * except the two report functions.
 */
#ifndef TENDER_CORE_H
#define TENDER_CORE_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tender_err.h"

#define TENDER_CORE_OPTION "--dumpcore="
/* The flags the core file is created with (hvt's filter pins them). */
#define TENDER_CORE_OPEN_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)
#define TENDER_CORE_NAME_SIZE 64
#define TENDER_CORE_PARTIAL ".partial"

struct tender_core_note {
    uint32_t type;              /* NT_PRSTATUS, NT_PRFPREG, ... */
    const void *desc;
    size_t size;
};

struct tender_core {
    int fd;
    int dirfd;
    const char *dir;            /* for messages */
    const char *name;
    char partial[TENDER_CORE_NAME_SIZE + sizeof(TENDER_CORE_PARTIAL)];
    uint64_t base;              /* guest range [base, base + size) */
    uint64_t size;
    uint64_t mem_offset;        /* file offset of `base` */
    uint64_t pages;             /* pages written so far */
};

/* --dumpcore=DIR: a module's handle_cmdarg result (TENDER_ARG_*); *dir
 * points into arg. */
int tender_core_cmdarg(const char *arg, const char **dir,
        struct tender_err *err);

/* "core.<tender>.<pid>" into buf (TENDER_CORE_NAME_SIZE is enough). */
void tender_core_name(char *buf, size_t size, const char *tender, pid_t pid);

/* At set-up: opens DIR into *dirfd (O_CLOEXEC) and creates and removes
 * `name` in it, so that a missing or read-only DIR is refused before the
 * guest runs. */
int tender_core_check_dir(const char *dir, const char *name, int *dirfd,
        struct tender_err *err);

/* Creates the core file as NAME.partial (openat(dirfd, ...,
 * TENDER_CORE_OPEN_FLAGS, 0600)) into c->fd and fills in c's names. */
int tender_core_open(struct tender_core *c, int dirfd, const char *dir,
        const char *name, struct tender_err *err);

/* Writes the headers and notes to c->fd and sizes the file for the guest
 * range [base, base + size) (size: whole pages). */
int tender_core_begin(struct tender_core *c, uint16_t machine, uint64_t base,
        uint64_t size, const struct tender_core_note *notes, size_t n_notes,
        struct tender_err *err);

/* Writes `len` bytes (whole pages) of guest memory at guest address addr,
 * which must be page-aligned and lie in the range (else EINVAL). */
int tender_core_put(struct tender_core *c, uint64_t addr, const void *buf,
        size_t len, struct tender_err *err);

/* Writes the resident pages (mincore) of `mem`, this process's mapping of
 * the whole guest range. */
int tender_core_put_resident(struct tender_core *c, const uint8_t *mem,
        struct tender_err *err);

/* Ends the writing: if rc is 0, renames NAME.partial to NAME (never over
 * an existing file); otherwise, or if that fails, removes NAME.partial.
 * Returns rc, or -1 with err set if the rename failed.  c->fd stays open. */
int tender_core_finish(struct tender_core *c, int rc, struct tender_err *err);

/* The two lines of ref §8.2, before and after writing. */
void tender_core_report_start(FILE *f, const char *tender, const char *dir,
        const char *name);
void tender_core_report_done(FILE *f, const char *tender,
        const struct tender_core *c);

#endif /* TENDER_CORE_H */
