/*
 * tender_elf.c: reading, validating and loading a unikernel's ELF image.
 *
 * The unikernel file is untrusted input: every size and offset read from it
 * is checked with overflow-safe arithmetic before it is used.
 *
 * Differences from upstream Solo5, on purpose:
 *  - PT_LOAD segments with p_filesz == 0 (the separate .bss segment) are
 *    validated, zeroed and protected like any other.  Upstream skipped them
 *    and relied on fresh memory being zero and RW.  Segments with
 *    p_memsz == 0 (an empty .tdata, often at vaddr 0) occupy nothing and are
 *    ignored.
 *  - Two segments may share a page only if they have the same protection,
 *    so that no page silently ends up with another segment's rights.
 *  - kernel_end includes p_memsz (the .bss), as the name suggests.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_abi.h"
#include "tender_elf.h"

#define NOTE_HEADER_SIZE (3 * sizeof(uint32_t))

/* Reads exactly `size` bytes at `offset`; a short file is an error. */
static int elf_pread(int fd, void *buf, size_t size, uint64_t offset,
        const char *what, struct tender_err *err)
{
    uint8_t *p = buf;

    while (size > 0) {
        ssize_t n = pread(fd, p, size, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return tender_err_set(err, "cannot read %s: %s", what,
                    strerror(errno));
        if (n == 0)
            return tender_err_set(err, "%s is truncated", what);
        p += n;
        size -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

/* a + b, or false if it does not fit in 64 bits. */
static bool add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
    return !__builtin_add_overflow(a, b, sum);
}

static int elf_check_header(const Elf64_Ehdr *eh, uint64_t file_size,
        struct tender_err *err)
{
    uint64_t ph_end;

    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return tender_err_set(err, "not a 64-bit ELF file");
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return tender_err_set(err, "not a little-endian ELF file");
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return tender_err_set(err, "unsupported ELF version");
    if (eh->e_ehsize != sizeof(Elf64_Ehdr))
        return tender_err_set(err, "e_ehsize is %u, expected %zu",
                eh->e_ehsize, sizeof(Elf64_Ehdr));
    if (eh->e_type != ET_EXEC)
        return tender_err_set(err, "not a static executable (e_type %u)",
                eh->e_type);
    if (tender_elf_check_machine(eh, err) != 0)
        return -1;
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return tender_err_set(err, "e_phentsize is %u, expected %zu",
                eh->e_phentsize, sizeof(Elf64_Phdr));
    if (eh->e_phnum < 1 || eh->e_phnum == PN_XNUM)
        return tender_err_set(err, "e_phnum is %u: no usable program headers",
                eh->e_phnum);
    if (!add_ok(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr),
                &ph_end) || ph_end > file_size)
        return tender_err_set(err, "program headers are truncated "
                "(e_phoff %#llx, e_phnum %u, file size %llu)",
                (unsigned long long)eh->e_phoff, eh->e_phnum,
                (unsigned long long)file_size);
    return 0;
}

/*
 * Every PT_NOTE lies within the file, as solo5-elftool insists too: a note
 * segment reaching past the end is a damaged file even when the note read
 * from it (its first bytes) is whole.
 */
static int elf_check_notes_in_file(const struct tender_elf *elf,
        struct tender_err *err)
{
    for (unsigned i = 0; i < elf->ehdr.e_phnum; i++) {
        const Elf64_Phdr *ph = &elf->phdr[i];
        uint64_t end;

        if (ph->p_type != PT_NOTE)
            continue;
        if (!add_ok(ph->p_offset, ph->p_filesz, &end) || end > elf->file_size)
            return tender_err_set(err, "phdr[%u] segment data lies beyond "
                    "the end of the file", i);
    }
    return 0;
}

int tender_elf_read(int fd, struct tender_elf *elf, struct tender_err *err)
{
    struct stat st;
    size_t ph_size;

    memset(elf, 0, sizeof(*elf));
    if (fstat(fd, &st) != 0)
        return tender_err_set(err, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tender_err_set(err, "not a regular file");
    elf->file_size = (uint64_t)st.st_size;
    if (elf->file_size == 0)
        return tender_err_set(err, "not an ELF file (the file is empty)");
    if (elf->file_size < SELFMAG)
        return tender_err_set(err, "not an ELF file (too short)");
    if (elf_pread(fd, &elf->ehdr, SELFMAG, 0, "ELF header", err) != 0)
        return -1;
    if (memcmp(elf->ehdr.e_ident, ELFMAG, SELFMAG) != 0)
        return tender_err_set(err, "not an ELF file");
    if (elf->file_size < sizeof(Elf64_Ehdr))
        return tender_err_set(err, "ELF header is truncated (%llu bytes)",
                (unsigned long long)elf->file_size);
    if (elf_pread(fd, &elf->ehdr, sizeof(elf->ehdr), 0, "ELF header",
                err) != 0)
        return -1;
    if (elf_check_header(&elf->ehdr, elf->file_size, err) != 0)
        return -1;

    ph_size = (size_t)elf->ehdr.e_phnum * sizeof(Elf64_Phdr);
    elf->phdr = malloc(ph_size);
    if (elf->phdr == NULL)
        return tender_err_set(err, "out of memory");
    if (elf_pread(fd, elf->phdr, ph_size, elf->ehdr.e_phoff,
                "program headers", err) != 0 ||
            elf_check_notes_in_file(elf, err) != 0) {
        tender_elf_free(elf);
        return -1;
    }
    return 0;
}

void tender_elf_free(struct tender_elf *elf)
{
    free(elf->phdr);
    elf->phdr = NULL;
}

/* Checks one PT_NOTE segment; returns 1 if its first note is the one. */
static int elf_note_in(int fd, const Elf64_Phdr *ph, unsigned idx,
        uint32_t type, size_t align, size_t max_descsz, void **desc,
        size_t *desc_size, struct tender_err *err)
{
    struct {
        uint32_t n_namesz;
        uint32_t n_descsz;
        uint32_t n_type;
        char n_name[SOLO5_NOTE_NAME_PADDED];
    } nh;
    const uint64_t head = sizeof(nh);
    uint64_t desc_off, pad, end;
    void *buf;

    if (ph->p_filesz == 0)
        return 0; /* the empty PT_NOTE the linker leaves for an absent note */
    if (ph->p_filesz < NOTE_HEADER_SIZE)
        return tender_err_set(err, "phdr[%u] note does not fall within "
                "valid size (%llu < %zu)", idx,
                (unsigned long long)ph->p_filesz, NOTE_HEADER_SIZE);
    if (ph->p_filesz < head)
        return 0; /* too small to be owned by "Solo5": not ours */
    if (elf_pread(fd, &nh, sizeof(nh), ph->p_offset, "note header",
                err) != 0)
        return -1;
    if (nh.n_namesz != sizeof(SOLO5_NOTE_NAME) || nh.n_type != type ||
            memcmp(nh.n_name, SOLO5_NOTE_NAME, sizeof(SOLO5_NOTE_NAME)) != 0)
        return 0;

    if (nh.n_descsz < 1 || nh.n_descsz > max_descsz)
        return tender_err_set(err, "phdr[%u] note descriptor size %u is "
                "out of range [1, %zu]", idx, nh.n_descsz, max_descsz);
    if (ph->p_filesz < head + nh.n_descsz)
        return tender_err_set(err, "phdr[%u] note does not fall within "
                "valid size (p_filesz %llu < %llu)", idx,
                (unsigned long long)ph->p_filesz,
                (unsigned long long)(head + nh.n_descsz));
    desc_off = (head + align - 1) / align * align;
    pad = desc_off - head;
    if (nh.n_descsz <= pad)
        return tender_err_set(err, "phdr[%u] note does not fall within "
                "valid size (descriptor size %u, alignment padding %llu)",
                idx, nh.n_descsz, (unsigned long long)pad);
    if (!add_ok(ph->p_offset, head + nh.n_descsz, &end))
        return tender_err_set(err, "phdr[%u] note offset overflows", idx);

    *desc_size = nh.n_descsz - pad;
    buf = malloc(*desc_size);
    if (buf == NULL)
        return tender_err_set(err, "out of memory");
    if (elf_pread(fd, buf, *desc_size, ph->p_offset + desc_off,
                "note descriptor", err) != 0) {
        free(buf);
        return -1;
    }
    *desc = buf;
    return 1;
}

int tender_elf_find_note(int fd, const struct tender_elf *elf, uint32_t type,
        size_t align, size_t max_descsz, void **desc, size_t *desc_size,
        struct tender_err *err)
{
    if (align == 0 || (align & (align - 1)) != 0)
        return tender_err_set(err, "note alignment %zu is not a power of 2",
                align);
    for (unsigned i = 0; i < elf->ehdr.e_phnum; i++) {
        int rc;

        if (elf->phdr[i].p_type != PT_NOTE)
            continue;
        rc = elf_note_in(fd, &elf->phdr[i], i, type, align, max_descsz,
                desc, desc_size, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The page-aligned guest range of a segment, once validated. */
struct elf_range {
    uint64_t start;
    uint64_t end;
};

/* The pages a segment's bytes occupy: what gets protected, and what two
 * segments may share only with the same protection.  (The p_align-wide
 * range checked above can reach back over an earlier segment; protecting
 * it would change that segment's protection.)  The segment fits in guest
 * memory (checked), so the rounding cannot overflow. */
static struct elf_range elf_pages(const Elf64_Phdr *ph)
{
    struct elf_range r = {
        .start = ph->p_vaddr & ~(uint64_t)(TENDER_PAGE_SIZE - 1),
        .end = (ph->p_vaddr + ph->p_memsz + TENDER_PAGE_SIZE - 1) &
            ~(uint64_t)(TENDER_PAGE_SIZE - 1),
    };

    return r;
}

static int elf_check_segment(const struct tender_elf *elf, unsigned i,
        const struct tender_mem *mem, struct elf_range *r,
        struct tender_err *err)
{
    const Elf64_Phdr *ph = &elf->phdr[i];
    uint64_t align = ph->p_align ? ph->p_align : 1;
    uint64_t end, file_end;

    if ((align & (align - 1)) != 0)
        return tender_err_set(err, "phdr[%u] p_align %#llx is not a power "
                "of 2", i, (unsigned long long)ph->p_align);
    if (ph->p_vaddr < mem->min_load)
        return tender_err_set(err, "phdr[%u] p_vaddr %#llx is below %#llx",
                i, (unsigned long long)ph->p_vaddr,
                (unsigned long long)mem->min_load);
    if (ph->p_filesz > ph->p_memsz)
        return tender_err_set(err, "phdr[%u] p_filesz %#llx is larger than "
                "p_memsz %#llx", i, (unsigned long long)ph->p_filesz,
                (unsigned long long)ph->p_memsz);
    if (!add_ok(ph->p_offset, ph->p_filesz, &file_end) ||
            file_end > elf->file_size)
        return tender_err_set(err, "phdr[%u] segment data lies beyond the "
                "end of the file", i);
    if (!add_ok(ph->p_vaddr, ph->p_memsz, &end) || end > mem->size)
        return tender_err_set(err, "phdr[%u] segment [%#llx, +%#llx) does "
                "not fit in guest memory (%llu bytes)", i,
                (unsigned long long)ph->p_vaddr,
                (unsigned long long)ph->p_memsz,
                (unsigned long long)mem->size);
    r->start = ph->p_vaddr & ~(align - 1);
    if (!add_ok(end, align - 1, &r->end) ||
            (r->end & ~(align - 1)) > mem->size)
        return tender_err_set(err, "phdr[%u] aligned segment end does not "
                "fit in guest memory", i);
    r->end &= ~(align - 1);
    if (r->start < mem->min_load)
        return tender_err_set(err, "phdr[%u] aligned start %#llx is below "
                "%#llx", i, (unsigned long long)r->start,
                (unsigned long long)mem->min_load);
    if (r->start % TENDER_PAGE_SIZE != 0 || r->end % TENDER_PAGE_SIZE != 0)
        return tender_err_set(err, "phdr[%u] segment is not page aligned "
                "(p_vaddr %#llx, p_align %#llx)", i,
                (unsigned long long)ph->p_vaddr,
                (unsigned long long)ph->p_align);
    if ((ph->p_flags & (PF_W | PF_X)) == (PF_W | PF_X))
        return tender_err_set(err, "phdr[%u] segment is both writable and "
                "executable", i);
    return 0;
}

static int elf_check_all(const struct tender_elf *elf,
        const struct tender_mem *mem, uint64_t *kernel_end,
        struct tender_err *err)
{
    const Elf64_Phdr *prev = NULL;
    struct elf_range prev_r = { 0, 0 };
    uint64_t entry = elf->ehdr.e_entry;

    if (entry < mem->min_load || entry >= mem->size)
        return tender_err_set(err, "e_entry %#llx does not fall within the "
                "memory allocation range [%#llx, %#llx)",
                (unsigned long long)entry,
                (unsigned long long)mem->min_load,
                (unsigned long long)mem->size);
    *kernel_end = 0;
    for (unsigned i = 0; i < elf->ehdr.e_phnum; i++) {
        const Elf64_Phdr *ph = &elf->phdr[i];
        struct elf_range r = { 0, 0 };

        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        if (elf_check_segment(elf, i, mem, &r, err) != 0)
            return -1;
        if (prev != NULL && ph->p_vaddr < prev->p_vaddr + prev->p_memsz)
            return tender_err_set(err, "phdr[%u] segment at %#llx overlaps "
                    "or precedes the previous one", i,
                    (unsigned long long)ph->p_vaddr);
        r = elf_pages(ph);
        if (prev != NULL && r.start < prev_r.end &&
                ph->p_flags != prev->p_flags)
            return tender_err_set(err, "phdr[%u] segment shares a page with "
                    "the previous one but has other protections", i);
        prev = ph;
        prev_r = r;
        *kernel_end = ph->p_vaddr + ph->p_memsz;
    }
    if (prev == NULL)
        return tender_err_set(err, "no loadable segment");
    return 0;
}

int tender_elf_check(const struct tender_elf *elf,
        const struct tender_mem *mem, uint64_t *kernel_end,
        struct tender_err *err)
{
    return elf_check_all(elf, mem, kernel_end, err);
}

int tender_elf_load(int fd, const struct tender_elf *elf,
        const struct tender_mem *mem, tender_elf_protect_fn protect,
        void *ctx, uint64_t *entry, uint64_t *kernel_end,
        struct tender_err *err)
{
    if (elf_check_all(elf, mem, kernel_end, err) != 0)
        return -1;

    /* Every segment is in place before any is protected: two segments
     * may share a page (with the same protection), and the second must not
     * find it read-only already. */
    for (unsigned i = 0; i < elf->ehdr.e_phnum; i++) {
        const Elf64_Phdr *ph = &elf->phdr[i];
        uint8_t *dst;

        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        dst = mem->host + (ph->p_vaddr - mem->base);
        if (ph->p_filesz > 0 && elf_pread(fd, dst, ph->p_filesz,
                    ph->p_offset, "segment data", err) != 0)
            return -1;
        memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
    }
    for (unsigned i = 0; i < elf->ehdr.e_phnum; i++) {
        const Elf64_Phdr *ph = &elf->phdr[i];
        struct elf_range r;

        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        r = elf_pages(ph);
        if (protect(ctx, r.start, r.end - r.start,
                    ph->p_flags & (PF_R | PF_W | PF_X), err) != 0)
            return -1;
    }
    *entry = elf->ehdr.e_entry;
    return 0;
}
