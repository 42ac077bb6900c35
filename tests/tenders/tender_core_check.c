/*
 * tender_core_check.c: a host harness around tenders/common/tender_core.c
 * (the guest core files of --dumpcore), driven by
 * tests/tenders/test_tender_core.py.
 *
 *   tender_core_check dump [--exists] DIR NAME BASE SIZE [STEP]...
 *       tender_core_check_dir, report_start, open, begin (EM_X86_64, the
 *       notes given), then the puts in order, then report_done.
 *       --exists creates DIR/NAME (holding "old") after the check and
 *       before the open, as if it had appeared in between.  Steps:
 *         note TYPE HEX          a note of type TYPE, descriptor HEX bytes
 *         put ADDR LEN BYTE      tender_core_put of LEN bytes at ADDR
 *         resident BYTE IDX,...  maps the whole range, writes the pages
 *                                IDX (page numbers from BASE) and calls
 *                                tender_core_put_resident on the mapping
 *       Every page written holds BYTE, except that its first 8 bytes hold
 *       its guest address (little-endian), so a misplaced page shows.
 *       The report lines go to stdout; a failure prints the tender_err
 *       message as one line and exits 1.
 *   tender_core_check cmdarg ARG      tender_core_cmdarg
 *   tender_core_check name TENDER PID tender_core_name
 *
 * Numbers take C prefixes (0x...).  Bad harness usage exits 2.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tender.h"
#include "tender_core.h"

#define CHECK_TENDER "solo5-check"
#define CHECK_MAX_NOTES 8

static int usage(const char *why)
{
    fprintf(stderr, "tender_core_check: %s\n", why);
    return 2;
}

static int fail(const struct tender_err *err)
{
    printf("%s\n", err->msg);
    return 1;
}

static int number(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(s, &end, 0);
    return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

/* The page pattern of the header comment: BYTE, its address in front. */
static void fill(uint8_t *p, size_t len, uint64_t addr, uint8_t byte)
{
    memset(p, byte, len);
    for (size_t at = 0; at + sizeof(addr) <= len; at += TENDER_PAGE_SIZE) {
        uint64_t a = addr + at;

        memcpy(p + at, &a, sizeof(a));
    }
}

/* Decodes HEX (an even number of hex digits) into a new buffer. */
static uint8_t *hex_bytes(const char *hex, size_t *size)
{
    size_t n = strlen(hex) / 2;
    uint8_t *buf = malloc(n + 1);

    if (buf == NULL || strlen(hex) % 2 != 0) {
        free(buf);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(buf);
            return NULL;
        }
        buf[i] = (uint8_t)v;
    }
    *size = n;
    return buf;
}

static int step_put(struct tender_core *c, char **arg)
{
    struct tender_err err;
    uint64_t addr, len, byte;
    uint8_t *buf;
    int rc;

    if (number(arg[0], &addr) || number(arg[1], &len) ||
            number(arg[2], &byte) || byte > 0xff)
        return usage("put ADDR LEN BYTE: bad number");
    buf = malloc(len + 1);
    if (buf == NULL)
        return usage("put: out of memory");
    fill(buf, len, addr, (uint8_t)byte);
    rc = tender_core_put(c, addr, buf, len, &err);
    free(buf);
    return rc == 0 ? 0 : fail(&err);
}

static int step_resident(struct tender_core *c, char **arg)
{
    struct tender_err err;
    uint64_t byte, idx;
    uint8_t *mem;
    char *list, *tok, *save = NULL;
    int rc;

    if (number(arg[0], &byte) || byte > 0xff)
        return usage("resident BYTE IDX,...: bad byte");
    mem = mmap(NULL, c->size, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        return usage("resident: mmap failed");
    /* A huge page would make 512 pages resident for one write. */
    madvise(mem, c->size, MADV_NOHUGEPAGE);
    list = strdup(arg[1]);
    for (tok = strtok_r(list, ",", &save); tok != NULL;
            tok = strtok_r(NULL, ",", &save)) {
        if (number(tok, &idx) || idx >= c->size / TENDER_PAGE_SIZE) {
            free(list);
            munmap(mem, c->size);
            return usage("resident: bad page index");
        }
        fill(mem + idx * TENDER_PAGE_SIZE, TENDER_PAGE_SIZE,
                c->base + idx * TENDER_PAGE_SIZE, (uint8_t)byte);
    }
    free(list);
    rc = tender_core_put_resident(c, mem, &err);
    munmap(mem, c->size);
    return rc == 0 ? 0 : fail(&err);
}

/* Creates DIR/NAME behind the writer's back. */
static int create_old(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0 || write(fd, "old", 3) != 3)
        return usage("--exists: cannot create the file");
    close(fd);
    return 0;
}

static int cmd_dump(int argc, char **argv)
{
    struct tender_core_note notes[CHECK_MAX_NOTES];
    size_t n_notes = 0;
    struct tender_core c;
    struct tender_err err;
    uint64_t base, size, type;
    int dirfd, i, rc = 0;
    int exists = argc > 0 && strcmp(argv[0], "--exists") == 0;

    argc -= exists;
    argv += exists;
    if (argc < 4 || number(argv[2], &base) || number(argv[3], &size))
        return usage("dump DIR NAME BASE SIZE [STEP]...");
    for (i = 4; i + 2 < argc && strcmp(argv[i], "note") == 0; i += 3) {
        if (n_notes == CHECK_MAX_NOTES || number(argv[i + 1], &type) ||
                type > UINT32_MAX)
            return usage("note TYPE HEX: bad type or too many notes");
        notes[n_notes].type = (uint32_t)type;
        notes[n_notes].desc = hex_bytes(argv[i + 2], &notes[n_notes].size);
        if (notes[n_notes].desc == NULL)
            return usage("note TYPE HEX: bad hex");
        n_notes++;
    }

    if (tender_core_check_dir(argv[0], argv[1], &dirfd, &err) != 0)
        return fail(&err);
    if (exists && create_old(dirfd, argv[1]) != 0)
        return 2;
    tender_core_report_start(stdout, CHECK_TENDER, argv[0], argv[1]);
    if (tender_core_open(&c, dirfd, argv[0], argv[1], &err) != 0)
        return fail(&err);
    if (tender_core_begin(&c, EM_X86_64, base, size, notes, n_notes,
                &err) != 0)
        rc = fail(&err);
    for (; rc == 0 && i < argc; ) {
        if (strcmp(argv[i], "put") == 0 && i + 3 < argc) {
            rc = step_put(&c, argv + i + 1);
            i += 4;
        } else if (strcmp(argv[i], "resident") == 0 && i + 2 < argc) {
            rc = step_resident(&c, argv + i + 1);
            i += 3;
        } else {
            rc = usage("steps: note TYPE HEX, put ADDR LEN BYTE, "
                    "resident BYTE IDX,...");
        }
    }
    /* Renamed from NAME.partial if whole, removed otherwise. */
    if (tender_core_finish(&c, rc, &err) != 0 && rc == 0)
        rc = fail(&err);
    close(c.fd);
    close(dirfd);
    for (size_t n = 0; n < n_notes; n++)
        free((void *)notes[n].desc);
    if (rc == 0)
        tender_core_report_done(stdout, CHECK_TENDER, &c);
    return rc;
}

static int cmd_cmdarg(const char *arg)
{
    struct tender_err err;
    const char *dir = NULL;

    switch (tender_core_cmdarg(arg, &dir, &err)) {
    case TENDER_ARG_HANDLED:
        printf("handled [%s]\n", dir);
        return 0;
    case TENDER_ARG_UNKNOWN:
        printf("unknown\n");
        return 0;
    default:
        return fail(&err);
    }
}

static int cmd_name(const char *tender, const char *pid)
{
    char buf[TENDER_CORE_NAME_SIZE];
    uint64_t n;

    if (number(pid, &n))
        return usage("name TENDER PID: bad pid");
    tender_core_name(buf, sizeof(buf), tender, (pid_t)n);
    printf("%s\n", buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "dump") == 0)
        return cmd_dump(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "cmdarg") == 0)
        return cmd_cmdarg(argv[2]);
    if (argc == 4 && strcmp(argv[1], "name") == 0)
        return cmd_name(argv[2], argv[3]);
    return usage("usage: tender_core_check dump|cmdarg|name ...");
}
