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
 * ftruncate on that fd, and mincore.
 *
 * Differences from upstream: the load segment's file offset is
 * page-aligned; a dump that cannot be written says why and the status is
 * still the guest's.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <unistd.h>

#include "hvt_debug.h"
#include "solo5.h"

#define OPT_DUMPCORE "--dumpcore="
#define PAGE 4096ULL
#define MINCORE_CHUNK 4096      /* pages per mincore() call */
#define NOTE_NAME "CORE"
#define NOTE_NAME_PADDED 8

/* The file's first bytes; the note's descriptor (prstatus) follows at
 * NOTE_DESC_OFFSET, written separately because its alignment would pad. */
struct core_header {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
    Elf64_Nhdr nh;
    char name[NOTE_NAME_PADDED];
};

#define NOTE_DESC_OFFSET (offsetof(struct core_header, name) + NOTE_NAME_PADDED)
_Static_assert(NOTE_DESC_OFFSET % 4 == 0, "ELF notes are 4-aligned");

static int dumpcore_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    struct hvt_debug *d = hvt_debug_of(t);

    if (strncmp(arg, OPT_DUMPCORE, strlen(OPT_DUMPCORE)) != 0)
        return TENDER_ARG_UNKNOWN;
    d->dump_dir = arg + strlen(OPT_DUMPCORE);
    if (d->dump_dir[0] == '\0') {
        tender_err_set(err, "--dumpcore: a directory is required "
                "(--dumpcore=DIR)");
        return TENDER_ARG_ERROR;
    }
    return TENDER_ARG_HANDLED;
}

static void dumpcore_name(const struct hvt_debug *d, char *buf, size_t size)
{
    snprintf(buf, size, "core.solo5-hvt.%d", (int)d->pid);
}

static int dumpcore_setup(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    char name[64];
    int fd;

    if (d->dump_dir == NULL)
        return 0;
    d->pid = getpid();
    d->dump_dirfd = open(d->dump_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->dump_dirfd < 0)
        return tender_err_set(err, "--dumpcore: %s: %s", d->dump_dir,
                strerror(errno));
    dumpcore_name(d, name, sizeof(name));
    fd = openat(d->dump_dirfd, name, HVT_DUMPCORE_OPEN_FLAGS, 0600);
    if (fd < 0)
        return tender_err_set(err, "--dumpcore: cannot create %s/%s: %s",
                d->dump_dir, name, strerror(errno));
    close(fd);
    unlinkat(d->dump_dirfd, name, 0);
    hvt_debug_select_hooks(h);
    return 0;
}

int hvt_dumpcore_before_seccomp(struct tender *t, struct tender_err *err)
{
    struct hvt_debug *d = hvt_debug_of(t);

    return hvt_debug_pin_fd(&d->dump_dirfd, HVT_DEBUG_FD_DUMPDIR,
            "--dumpcore", err);
}

int hvt_dumpcore_seccomp_rules(void *ctx, struct tender_err *err)
{
    int rc;

    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2,
            SCMP_A0(SCMP_CMP_EQ, HVT_DEBUG_FD_DUMPDIR),
            SCMP_A2(SCMP_CMP_EQ, HVT_DUMPCORE_OPEN_FLAGS));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(dup3), 1,
                SCMP_A1(SCMP_CMP_EQ, HVT_DEBUG_FD_CORE));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(pwrite64), 1,
                SCMP_A0(SCMP_CMP_EQ, HVT_DEBUG_FD_CORE));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ftruncate), 1,
                SCMP_A0(SCMP_CMP_EQ, HVT_DEBUG_FD_CORE));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mincore), 0);
    if (rc != 0)
        return tender_err_set(err, "dumpcore: seccomp_rule_add: %s",
                strerror(-rc));
    return 0;
}

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

/* Writes the resident pages; *written counts them. */
static int dumpcore_memory(struct hvt *h, int fd, uint64_t base,
        uint64_t *written)
{
    unsigned char vec[MINCORE_CHUNK];
    uint64_t pages = h->mem_size / PAGE;

    *written = 0;
    for (uint64_t first = 0; first < pages; first += MINCORE_CHUNK) {
        uint64_t n = pages - first < MINCORE_CHUNK ? pages - first :
            MINCORE_CHUNK;

        if (mincore(h->mem + first * PAGE, n * PAGE, vec) != 0)
            return -1;
        for (uint64_t i = 0; i < n; ) {
            uint64_t run = 0;

            while (i + run < n && (vec[i + run] & 1))
                run++;
            if (run == 0) {
                i++;
                continue;
            }
            if (dumpcore_pwrite(fd, h->mem + (first + i) * PAGE, run * PAGE,
                        base + (first + i) * PAGE) != 0)
                return -1;
            *written += run;
            i += run;
        }
    }
    return 0;
}

static void dumpcore_header(struct hvt *h, struct core_header *c,
        uint64_t mem_offset)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->eh.e_ident, ELFMAG, SELFMAG);
    c->eh.e_ident[EI_CLASS] = ELFCLASS64;
    c->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    c->eh.e_ident[EI_VERSION] = EV_CURRENT;
    c->eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    c->eh.e_type = ET_CORE;
    c->eh.e_machine = EM_X86_64;
    c->eh.e_version = EV_CURRENT;
    c->eh.e_phoff = offsetof(struct core_header, ph);
    c->eh.e_ehsize = sizeof(c->eh);
    c->eh.e_phentsize = sizeof(c->ph[0]);
    c->eh.e_phnum = 2;
    c->ph[0] = (Elf64_Phdr){
        .p_type = PT_NOTE,
        .p_offset = offsetof(struct core_header, nh),
        .p_filesz = sizeof(c->nh) + sizeof(c->name) +
            sizeof(struct elf_prstatus),
        .p_align = 4,
    };
    c->ph[1] = (Elf64_Phdr){
        .p_type = PT_LOAD,
        .p_flags = PF_R | PF_W | PF_X,
        .p_offset = mem_offset,
        .p_vaddr = 0,
        .p_paddr = 0,
        .p_filesz = h->mem_size,
        .p_memsz = h->mem_size,
        .p_align = PAGE,
    };
    c->nh.n_namesz = sizeof(NOTE_NAME);
    c->nh.n_descsz = sizeof(struct elf_prstatus);
    c->nh.n_type = NT_PRSTATUS;
    memcpy(c->name, NOTE_NAME, sizeof(NOTE_NAME));
}

static int dumpcore_write(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    struct core_header c;
    struct elf_prstatus ps;
    uint64_t mem_offset = (NOTE_DESC_OFFSET + sizeof(ps) + PAGE - 1) &
        ~(PAGE - 1), written;
    char name[64];
    int fd;

    dumpcore_name(d, name, sizeof(name));
    fprintf(stderr, "%s: dumpcore: dumping guest core to: %s/%s\n",
            t->backend->name, d->dump_dir, name);
    dumpcore_header(h, &c, mem_offset);
    memset(&ps, 0, sizeof(ps));
    if (hvt_dumpcore_prstatus(h, hvt_dumpcore_cookie(h), &ps, err) != 0)
        return -1;
    ps.pr_pid = d->pid;
    fd = openat(d->dump_dirfd, name, HVT_DUMPCORE_OPEN_FLAGS, 0600);
    if (fd < 0)
        return tender_err_set(err, "dumpcore: %s/%s: %s", d->dump_dir, name,
                strerror(errno));
    /* The filter knows the core by this number only. */
    if (dup3(fd, HVT_DEBUG_FD_CORE, O_CLOEXEC) != HVT_DEBUG_FD_CORE)
        return tender_err_set(err, "dumpcore: dup3: %s", strerror(errno));
    fd = HVT_DEBUG_FD_CORE;
    if (ftruncate(fd, (off_t)(mem_offset + h->mem_size)) != 0 ||
            dumpcore_pwrite(fd, &c, sizeof(c), 0) != 0 ||
            dumpcore_pwrite(fd, &ps, sizeof(ps), NOTE_DESC_OFFSET) != 0 ||
            dumpcore_memory(h, fd, mem_offset, &written) != 0)
        return tender_err_set(err, "dumpcore: %s/%s: %s", d->dump_dir, name,
                strerror(errno));
    fprintf(stderr, "%s: dumpcore: dumped %llu pages of total %llu pages\n",
            t->backend->name, (unsigned long long)written,
            (unsigned long long)(h->mem_size / PAGE));
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
