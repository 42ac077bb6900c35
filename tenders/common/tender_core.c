/*
 * tender_core.c: the ELF core file of a guest (see tender_core.h).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tender.h"
#include "tender_core.h"

#define CORE_PAGE ((uint64_t)TENDER_PAGE_SIZE)  /* = the host page: mincore() */
#define CORE_NOTE_NAME "CORE"
#define CORE_NOTE_NAME_PADDED 8     /* "CORE\0" rounded up to 4 */
#define CORE_MINCORE_CHUNK 4096     /* pages per mincore() call */

struct core_header {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
};

struct core_note_header {
    Elf64_Nhdr nh;
    char name[CORE_NOTE_NAME_PADDED];
};

_Static_assert(sizeof(struct core_header) % 4 == 0, "ELF notes are 4-aligned");
_Static_assert(sizeof(struct core_note_header) % 4 == 0,
        "note descriptors are 4-aligned");

int tender_core_cmdarg(const char *arg, const char **dir,
        struct tender_err *err)
{
    if (strncmp(arg, TENDER_CORE_OPTION, strlen(TENDER_CORE_OPTION)) != 0)
        return TENDER_ARG_UNKNOWN;
    *dir = arg + strlen(TENDER_CORE_OPTION);
    if ((*dir)[0] == '\0') {
        tender_err_set(err, "--dumpcore: a directory is required "
                "(--dumpcore=DIR)");
        return TENDER_ARG_ERROR;
    }
    return TENDER_ARG_HANDLED;
}

void tender_core_name(char *buf, size_t size, const char *tender, pid_t pid)
{
    snprintf(buf, size, "core.%s.%d", tender, (int)pid);
}

int tender_core_check_dir(const char *dir, const char *name, int *dirfd,
        struct tender_err *err)
{
    int fd;

    *dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0)
        return tender_err_set(err, "dumpcore: cannot open dir: %s: %s", dir,
                strerror(errno));
    fd = openat(*dirfd, name, TENDER_CORE_OPEN_FLAGS, 0600);
    if (fd < 0) {
        tender_err_set(err, "dumpcore: dir not writable: %s/%s: %s", dir, name,
                strerror(errno));
        close(*dirfd);      /* the caller owns *dirfd only on success */
        *dirfd = -1;
        return -1;
    }
    close(fd);
    unlinkat(*dirfd, name, 0);
    return 0;
}

static int core_fail(const struct tender_core *c, struct tender_err *err)
{
    return tender_err_set(err, "dumpcore: %s/%s: %s", c->dir, c->name,
            strerror(errno));
}

int tender_core_open(struct tender_core *c, int dirfd, const char *dir,
        const char *name, struct tender_err *err)
{
    memset(c, 0, sizeof(*c));
    c->dirfd = dirfd;
    c->dir = dir;
    c->name = name;
    snprintf(c->partial, sizeof(c->partial), "%s%s", name,
            TENDER_CORE_PARTIAL);
    c->fd = openat(dirfd, c->partial, TENDER_CORE_OPEN_FLAGS, 0600);
    if (c->fd < 0)
        return core_fail(c, err);
    return 0;
}

int tender_core_finish(struct tender_core *c, int rc, struct tender_err *err)
{
    if (rc == 0 && renameat2(c->dirfd, c->partial, c->dirfd, c->name,
                RENAME_NOREPLACE) != 0)
        rc = core_fail(c, err);
    if (rc != 0)
        unlinkat(c->dirfd, c->partial, 0);
    return rc;
}

static int core_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO;
        if (n <= 0)
            return -1;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static uint64_t core_note_size(size_t desc_size)
{
    return sizeof(struct core_note_header) + ((desc_size + 3) & ~(size_t)3);
}

/* Writes one note at *off and advances it. */
static int core_note(int fd, uint64_t *off, const struct tender_core_note *n)
{
    struct core_note_header h = {
        .nh = { .n_namesz = sizeof(CORE_NOTE_NAME),
            .n_descsz = (uint32_t)n->size, .n_type = n->type },
        .name = CORE_NOTE_NAME,
    };

    if (core_pwrite(fd, &h, sizeof(h), *off) != 0 ||
            core_pwrite(fd, n->desc, n->size, *off + sizeof(h)) != 0)
        return -1;
    *off += core_note_size(n->size);
    return 0;
}

int tender_core_begin(struct tender_core *c, uint16_t machine, uint64_t base,
        uint64_t size, const struct tender_core_note *notes, size_t n_notes,
        struct tender_err *err)
{
    struct core_header h;
    uint64_t off = sizeof(h), notes_size = 0;

    if (size % CORE_PAGE != 0 || base % CORE_PAGE != 0) {
        errno = EINVAL;
        return core_fail(c, err);
    }
    for (size_t i = 0; i < n_notes; i++)
        notes_size += core_note_size(notes[i].size);
    c->base = base;
    c->size = size;
    c->mem_offset = (sizeof(h) + notes_size + CORE_PAGE - 1) &
        ~(CORE_PAGE - 1);
    c->pages = 0;

    memset(&h, 0, sizeof(h));
    memcpy(h.eh.e_ident, ELFMAG, SELFMAG);
    h.eh.e_ident[EI_CLASS] = ELFCLASS64;
    h.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    h.eh.e_ident[EI_VERSION] = EV_CURRENT;
    h.eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    h.eh.e_type = ET_CORE;
    h.eh.e_machine = machine;
    h.eh.e_version = EV_CURRENT;
    h.eh.e_phoff = offsetof(struct core_header, ph);
    h.eh.e_ehsize = sizeof(h.eh);
    h.eh.e_phentsize = sizeof(h.ph[0]);
    h.eh.e_phnum = 2;
    h.ph[0] = (Elf64_Phdr){
        .p_type = PT_NOTE,
        .p_offset = sizeof(h),
        .p_filesz = notes_size,
        .p_align = 4,
    };
    h.ph[1] = (Elf64_Phdr){
        .p_type = PT_LOAD,
        .p_flags = PF_R | PF_W | PF_X,
        .p_offset = c->mem_offset,
        .p_vaddr = base,
        .p_paddr = base,
        .p_filesz = size,
        .p_memsz = size,
        .p_align = CORE_PAGE,
    };
    if (ftruncate(c->fd, (off_t)(c->mem_offset + size)) != 0 ||
            core_pwrite(c->fd, &h, sizeof(h), 0) != 0)
        return core_fail(c, err);
    for (size_t i = 0; i < n_notes; i++)
        if (core_note(c->fd, &off, &notes[i]) != 0)
            return core_fail(c, err);
    return 0;
}

int tender_core_put(struct tender_core *c, uint64_t addr, const void *buf,
        size_t len, struct tender_err *err)
{
    if (addr < c->base || addr - c->base > c->size ||
            len > c->size - (addr - c->base) || len % CORE_PAGE != 0 ||
            addr % CORE_PAGE != 0) {
        errno = EINVAL;
        return core_fail(c, err);
    }
    if (core_pwrite(c->fd, buf, len, c->mem_offset + (addr - c->base)) != 0)
        return core_fail(c, err);
    c->pages += len / CORE_PAGE;
    return 0;
}

int tender_core_put_resident(struct tender_core *c, const uint8_t *mem,
        struct tender_err *err)
{
    unsigned char vec[CORE_MINCORE_CHUNK];
    uint64_t pages = c->size / CORE_PAGE;

    for (uint64_t first = 0; first < pages; first += CORE_MINCORE_CHUNK) {
        uint64_t n = pages - first < CORE_MINCORE_CHUNK ? pages - first :
            CORE_MINCORE_CHUNK;

        if (mincore((void *)(mem + first * CORE_PAGE), n * CORE_PAGE,
                    vec) != 0)
            return core_fail(c, err);
        for (uint64_t i = 0; i < n; ) {
            uint64_t run = 0, at = (first + i) * CORE_PAGE;

            while (i + run < n && (vec[i + run] & 1))
                run++;
            if (run == 0) {
                i++;
                continue;
            }
            if (tender_core_put(c, c->base + at, mem + at, run * CORE_PAGE,
                        err) != 0)
                return -1;
            i += run;
        }
    }
    return 0;
}

void tender_core_report_start(FILE *f, const char *tender, const char *dir,
        const char *name)
{
    fprintf(f, "%s: dumpcore: dumping guest core to: %s/%s\n", tender, dir,
            name);
}

void tender_core_report_done(FILE *f, const char *tender,
        const struct tender_core *c)
{
    fprintf(f, "%s: dumpcore: dumped %llu pages of total %llu pages\n",
            tender, (unsigned long long)c->pages,
            (unsigned long long)(c->size / CORE_PAGE));
}
