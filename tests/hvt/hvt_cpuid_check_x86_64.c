/*
 * hvt_cpuid_check_x86_64.c: solo5-hvt's CPUID allowlist
 * (tenders/hvt/hvt_cpuid_x86_64.c) for tests/hvt/test_hvt_cpuid.py.
 *
 *   hvt_cpuid_check record   KVM_GET_SUPPORTED_CPUID of /dev/kvm
 *   hvt_cpuid_check filter   the guest's CPUID from the entries on stdin
 *   hvt_cpuid_check live     the guest's CPUID from /dev/kvm's
 *   hvt_cpuid_check table    the allowlist: "leaf F I HOW HOW HOW HOW VALUE
 *                            WHAT..."
 *                            and "bit F I REG BIT NAME" lines
 *
 * Entries are "FUNCTION INDEX FLAGS EAX EBX ECX EDX" in hexadecimal, one
 * per line (record's output is filter's input: how the test data in
 * tests/hvt/data/ was recorded).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hvt.h"
#include "hvt_cpuid_x86_64.h"

#define MAX_ENTRIES 256

static const char *const HOW[] = {
    [HVT_CPUID_NONE] = "none", [HVT_CPUID_BITS] = "bits",
    [HVT_CPUID_WHOLE] = "whole", [HVT_CPUID_MASK] = "mask",
    [HVT_CPUID_CAP] = "cap", [HVT_CPUID_XSAVE_MAX] = "xsave_max",
};

static struct kvm_cpuid2 *cpuid_alloc(void)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
            MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));

    if (c == NULL) {
        perror("calloc");
        exit(1);
    }
    c->nent = MAX_ENTRIES;
    return c;
}

static void print_entries(const struct kvm_cpuid2 *c)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[i];

        printf("%08x %x %x %08x %08x %08x %08x\n", e->function, e->index,
                e->flags, e->eax, e->ebx, e->ecx, e->edx);
    }
}

static struct kvm_cpuid2 *record(void)
{
    struct kvm_cpuid2 *c = cpuid_alloc();
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0 || ioctl(fd, KVM_GET_SUPPORTED_CPUID, c) != 0) {
        fprintf(stderr, "/dev/kvm: KVM_GET_SUPPORTED_CPUID: %s\n",
                strerror(errno));
        exit(1);
    }
    close(fd);
    return c;
}

static struct kvm_cpuid2 *read_entries(FILE *f)
{
    struct kvm_cpuid2 *c = cpuid_alloc();
    struct kvm_cpuid_entry2 e;

    c->nent = 0;
    memset(&e, 0, sizeof(e));
    while (c->nent < MAX_ENTRIES && fscanf(f, "%x %x %x %x %x %x %x",
                &e.function, &e.index, &e.flags, &e.eax, &e.ebx, &e.ecx,
                &e.edx) == 7)
        c->entries[c->nent++] = e;
    return c;
}

static int filter(const struct kvm_cpuid2 *host)
{
    struct kvm_cpuid2 *guest = cpuid_alloc();
    struct tender_err err;

    if (hvt_cpuid_filter(host, guest, MAX_ENTRIES, &err) != 0) {
        printf("err %s\n", err.msg);
        return 1;
    }
    print_entries(guest);
    return 0;
}

static void table(void)
{
    for (size_t i = 0; i < hvt_cpuid_n_leaves; i++) {
        const struct hvt_cpuid_leaf *l = &hvt_cpuid_leaves[i];

        printf("leaf %x %x %s %s %s %s %x %s\n", l->function, l->index,
                HOW[l->how[0]], HOW[l->how[1]], HOW[l->how[2]],
                HOW[l->how[3]], l->value, l->what);
    }
    for (size_t i = 0; i < hvt_cpuid_n_bits; i++) {
        const struct hvt_cpuid_bit *b = &hvt_cpuid_bits[i];

        printf("bit %x %x %u %u %s\n", b->function, b->index, b->reg,
                b->bit, b->name);
    }
}

int main(int argc, char **argv)
{
    const char *cmd = argc == 2 ? argv[1] : "";

    if (strcmp(cmd, "record") == 0)
        print_entries(record());
    else if (strcmp(cmd, "filter") == 0)
        return filter(read_entries(stdin));
    else if (strcmp(cmd, "live") == 0)
        return filter(record());
    else if (strcmp(cmd, "table") == 0)
        table();
    else {
        fprintf(stderr, "usage: %s record|filter|live|table\n", argv[0]);
        return 2;
    }
    return 0;
}
