/*
 * tender_elf_check.c: a host harness around the tenders' pure core
 * functions, driven by tests/tenders/test_core.py.
 *
 *   tender_elf_check [--mem=MIB] [--target=N] [--abi-version=N] FILE
 *       reads FILE as a tender would (ELF headers, ABI1 note, MFT1 note)
 *       and loads it into a zeroed buffer of MIB MiB (default 4); prints
 *       each protection applied, the entry point, kernel_end, the manifest
 *       and "OK", or "<FILE>: <message>" and exits 1.
 *   tender_elf_check mem VALUE          tender_parse_mem
 *   tender_elf_check cmdline SIZE ARGS  tender_cmdline
 *   tender_elf_check devarg PREFIX ARG  tender_parse_device_arg
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spt_abi.h"
#include "tender.h"
#include "tender_abi.h"
#include "tender_elf.h"
#include "tender_mft.h"

static int protect(void *ctx, uint64_t gpa, uint64_t size, uint32_t flags,
        struct tender_err *err)
{
    const struct tender_mem *mem = ctx;

    if ((flags & (PF_W | PF_X)) == (PF_W | PF_X))
        return tender_err_set(err, "harness: asked for W+X");
    if (gpa % TENDER_PAGE_SIZE || size % TENDER_PAGE_SIZE ||
            gpa < mem->min_load || gpa + size > mem->size)
        return tender_err_set(err, "harness: bad protect range");
    printf("protect 0x%llx 0x%llx %c%c%c\n", (unsigned long long)gpa,
            (unsigned long long)size, flags & PF_R ? 'R' : '-',
            flags & PF_W ? 'W' : '-', flags & PF_X ? 'X' : '-');
    return 0;
}

static int fail(const char *file, const char *prefix, const char *msg)
{
    printf("%s: %s%s\n", file, prefix, msg);
    return 1;
}

static void print_mft(const struct mft *mft)
{
    for (unsigned i = 0; i < mft->entries; i++)
        printf("mft %u '%s' %s\n", i, mft->e[i].name,
                tender_mft_type_name(mft->e[i].type));
}

static int check_file(uint64_t mib, uint32_t target, uint32_t version,
        const char *file)
{
    struct tender_elf elf;
    struct tender_err err;
    struct tender_mem mem;
    struct mft *mft = NULL;
    uint64_t entry, end;
    size_t mft_size;
    int fd, rc;

    fd = open(file, O_RDONLY);
    if (fd < 0)
        return fail(file, "", "Could not open");
    if (tender_elf_read(fd, &elf, &err) != 0)
        return fail(file, "invalid executable: ", err.msg);
    if (tender_abi_check(fd, &elf, target, version, "solo5-spt", &err) != 0)
        return fail(file, "", err.msg);
    rc = tender_mft_load(fd, &elf, &mft, &mft_size, &err);
    if (rc == 0)
        return fail(file, "", "No Solo5 manifest found in executable");
    if (rc == TENDER_MFT_INVALID)
        return fail(file, "Solo5 manifest is invalid: ", err.msg);
    if (rc < 0)
        return fail(file, "invalid executable: ", err.msg);

    mem.size = mib << 20;
    mem.base = 0;
    mem.min_load = SPT_GUEST_MIN_BASE;
    mem.host = calloc(1, mem.size);
    if (mem.host == NULL)
        return fail(file, "", "harness: out of memory");
    if (tender_elf_load(fd, &elf, &mem, protect, &mem, &entry, &end,
                &err) != 0)
        return fail(file, "invalid executable: ", err.msg);
    printf("entry 0x%llx\nkernel_end 0x%llx\n", (unsigned long long)entry,
            (unsigned long long)end);
    print_mft(mft);
    printf("OK\n");
    free(mem.host);
    free(mft);
    tender_elf_free(&elf);
    close(fd);
    return 0;
}

static int cmd_mem(const char *value)
{
    struct tender_err err;
    uint64_t mib;

    if (tender_parse_mem(value, &mib, &err) != 0)
        return fail("mem", "", err.msg);
    printf("%llu\n", (unsigned long long)mib);
    return 0;
}

static int cmd_cmdline(int argc, char **argv)
{
    struct tender_err err;
    char *out;

    if (tender_cmdline(argv + 1, argc - 1, strtoul(argv[0], NULL, 10), &out,
                &err) != 0)
        return fail("cmdline", "", err.msg);
    printf("[%s]\n", out);
    free(out);
    return 0;
}

static int cmd_devarg(const char *prefix, const char *arg)
{
    struct tender_err err;
    const char *name, *value;
    char buf[256];
    int rc;

    rc = tender_parse_device_arg(arg, prefix, buf, sizeof(buf), &name,
            &value, &err);
    if (rc < 0)
        return fail("devarg", "", err.msg);
    if (rc == 0) {
        printf("not matched\n");
        return 0;
    }
    printf("name=[%s] value=[%s]\n", name, value);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t mib = 4;
    uint32_t target = SPT_ABI_TARGET, version = SPT_ABI_VERSION;
    int i;

    if (argc == 3 && strcmp(argv[1], "mem") == 0)
        return cmd_mem(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "cmdline") == 0)
        return cmd_cmdline(argc - 2, argv + 2);
    if (argc == 4 && strcmp(argv[1], "devarg") == 0)
        return cmd_devarg(argv[2], argv[3]);
    for (i = 1; i < argc - 1; i++) {
        if (strncmp(argv[i], "--mem=", 6) == 0)
            mib = strtoull(argv[i] + 6, NULL, 10);
        else if (strncmp(argv[i], "--target=", 9) == 0)
            target = (uint32_t)strtoul(argv[i] + 9, NULL, 10);
        else if (strncmp(argv[i], "--abi-version=", 14) == 0)
            version = (uint32_t)strtoul(argv[i] + 14, NULL, 10);
        else
            break;
    }
    if (i != argc - 1) {
        fprintf(stderr, "usage: tender_elf_check [--mem=MIB] [--target=N] "
                "[--abi-version=N] FILE\n");
        return 2;
    }
    return check_file(mib, target, version, argv[i]);
}
