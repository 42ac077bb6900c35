/*
 * kvm_coldstart: where the time of a KVM VM lifecycle goes on this host.
 *
 *   kvm_coldstart [ITERATIONS]     (default 200)
 *
 * Part 1 times every step of the lifecycle (clock_gettime around each call)
 * for several guest-memory set-ups and prints min and median in microseconds.
 * Part 2 measures guest execution: first touch of guest pages, a CPL0 integer
 * loop, and the round trip of a PIO exit (what an hvt hypercall costs).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_kvm.h"

enum {
    ST_OPEN, ST_CREATE_VM, ST_MMAP, ST_SET_MEM, ST_CREATE_VCPU, ST_PAGES,
    ST_GET_CPUID, ST_CPUID, ST_REGS,
    ST_RUN1, ST_RUN2, ST_CLOSE_VCPU, ST_CLOSE_VM, ST_MUNMAP, ST_TOTAL, ST_N
};

static const char *const step_names[ST_N] = {
    "open", "CREATE_VM", "mmap+madv", "SET_MEM", "VCPU+mmap", "guest pages",
    "GET_SUPPORTED_CPUID", "SET_CPUID2", "SREGS+REGS",
    "RUN#1", "RUN#2", "close vcpu", "close vm", "munmap", "TOTAL",
};

struct cs_config {
    const char *name;
    int is_long;
    size_t mib;
    int flags;              /* mmap flags besides MAP_ANONYMOUS */
    int advice;             /* madvise advice, -1 for none */
    int iterations;         /* 0: the command-line count */
};

static const struct cs_config cs_configs[] = {
    { "real 4M shared", 0, 4, MAP_SHARED, -1, 0 },
    { "long 4M shared (hvt)", 1, 4, MAP_SHARED, -1, 0 },
    { "long 4M private", 1, 4, MAP_PRIVATE, -1, 0 },
    { "long 512M shared (hvt)", 1, 512, MAP_SHARED, -1, 0 },
    { "long 512M private", 1, 512, MAP_PRIVATE, -1, 0 },
    { "long 512M private THP", 1, 512, MAP_PRIVATE, MADV_HUGEPAGE, 0 },
    { "long 4M shared POPULATE", 1, 4, MAP_SHARED | MAP_POPULATE, -1, 0 },
    { "long 512M shared POPULATE", 1, 512, MAP_SHARED | MAP_POPULATE, -1, 10 },
    { "long 512M private POPULATE", 1, 512, MAP_PRIVATE | MAP_POPULATE, -1, 10 },
    { "long 512M HUGETLB", 1, 512, MAP_PRIVATE | MAP_HUGETLB, -1, 0 },
};

static int cs_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define CS_CPUID_MAX 100

/* One lifecycle; fills t[step] in ns. Returns 0 on success, -1 on failure
 * (errno says why). */
static int cs_lifecycle(const struct cs_config *c, uint64_t *t)
{
    static struct {
        struct kvm_cpuid2 hdr;
        struct kvm_cpuid_entry2 e[CS_CPUID_MAX];
    } cpuid_buf;
    struct kvm_cpuid2 *cpuid = &cpuid_buf.hdr;
    struct bench_vm v;
    uint64_t t0, a, b;
    int rc = -1;
    void *p;

    bench_init(&v);
    t0 = a = bench_now_ns();
    v.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    b = bench_now_ns(); t[ST_OPEN] = b - a; a = b;
    if (v.kvm < 0)
        goto out;
    v.vm = ioctl(v.kvm, KVM_CREATE_VM, 0);
    b = bench_now_ns(); t[ST_CREATE_VM] = b - a; a = b;
    if (v.vm < 0)
        goto out;
    v.mem_size = c->mib << 20;
    p = mmap(NULL, v.mem_size, PROT_READ | PROT_WRITE,
             c->flags | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        goto out;
    v.mem = p;
    if (c->advice >= 0 && madvise(p, v.mem_size, c->advice) != 0)
        goto out;
    b = bench_now_ns(); t[ST_MMAP] = b - a; a = b;
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = v.mem_size,
        .userspace_addr = (uint64_t)(uintptr_t)p,
    };
    if (ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &region) != 0)
        goto out;
    b = bench_now_ns(); t[ST_SET_MEM] = b - a; a = b;
    if (bench_create_vcpu(&v) < 0)
        goto out;
    b = bench_now_ns(); t[ST_CREATE_VCPU] = b - a; a = b;
    if (c->is_long) {
        bench_write_pagetables(&v);
        v.mem[BENCH_ENTRY] = 0xf4;
        v.mem[BENCH_ENTRY + 1] = 0xf4;
        b = bench_now_ns(); t[ST_PAGES] = b - a; a = b;
        cpuid->nent = CS_CPUID_MAX;
        if (ioctl(v.kvm, KVM_GET_SUPPORTED_CPUID, cpuid) != 0)
            goto out;
        b = bench_now_ns(); t[ST_GET_CPUID] = b - a; a = b;
        if (ioctl(v.vcpu, KVM_SET_CPUID2, cpuid) != 0)
            goto out;
        b = bench_now_ns(); t[ST_CPUID] = b - a; a = b;
        if (bench_setup_long(&v, BENCH_ENTRY, BENCH_HVT_CR0, BENCH_HVT_CR4,
                             0) < 0)
            goto out;
    } else {
        v.mem[0x1000] = 0xf4;
        v.mem[0x1001] = 0xf4;
        b = bench_now_ns(); t[ST_PAGES] = b - a; a = b;
        t[ST_GET_CPUID] = t[ST_CPUID] = 0;
        if (bench_setup_real(&v, 0x1000) < 0)
            goto out;
    }
    b = bench_now_ns(); t[ST_REGS] = b - a; a = b;
    if (bench_run(&v) != KVM_EXIT_HLT)
        goto out;
    b = bench_now_ns(); t[ST_RUN1] = b - a; a = b;
    if (bench_run(&v) != KVM_EXIT_HLT)
        goto out;
    b = bench_now_ns(); t[ST_RUN2] = b - a; a = b;
    munmap(v.run, v.run_size);
    close(v.vcpu);
    v.run = NULL;
    v.vcpu = -1;
    b = bench_now_ns(); t[ST_CLOSE_VCPU] = b - a; a = b;
    close(v.vm);
    close(v.kvm);
    v.vm = v.kvm = -1;
    b = bench_now_ns(); t[ST_CLOSE_VM] = b - a; a = b;
    munmap(v.mem, v.mem_size);
    v.mem = NULL;
    b = bench_now_ns(); t[ST_MUNMAP] = b - a;
    t[ST_TOTAL] = b - t0;
    rc = 0;
out:
    bench_close(&v);
    return rc;
}

static void cs_part1(int iterations)
{
    size_t nc = sizeof(cs_configs) / sizeof(cs_configs[0]);

    printf("Part 1: lifecycle steps, microseconds, min/median\n%-27s", "config");
    for (int s = 0; s < ST_N; s++)
        printf(" %11.11s", step_names[s]);
    printf("\n");
    for (size_t i = 0; i < nc; i++) {
        const struct cs_config *c = &cs_configs[i];
        int n = c->iterations ? c->iterations : iterations;
        uint64_t *t = calloc((size_t)n * ST_N, sizeof(*t));
        uint64_t col[4096];

        if (t == NULL || n > 4096)
            exit(1);
        printf("%-27s", c->name);
        for (int k = 0; k < n; k++)
            if (cs_lifecycle(c, t + (size_t)k * ST_N) < 0) {
                printf(" unavailable: %m\n");
                goto next;
            }
        for (int s = 0; s < ST_N; s++) {
            for (int k = 0; k < n; k++)
                col[k] = t[(size_t)k * ST_N + s];
            qsort(col, (size_t)n, sizeof(col[0]), cs_cmp);
            printf(" %5.0f/%-5.0f", col[0] / 1e3, col[n / 2] / 1e3);
        }
        printf("  (n=%d)\n", n);
next:
        fflush(stdout);
        free(t);
    }
}

/* Loads code at the entry of a fresh 512 MiB long-mode VM. */
static int cs_guest(struct bench_vm *v, int flags, int advice,
                    const uint8_t *code, size_t len)
{
    bench_init(v);
    if (bench_open(v) < 0 || bench_add_memory(v, 512UL << 20, flags, advice) < 0 ||
        bench_create_vcpu(v) < 0 || bench_set_cpuid(v) < 0)
        return -1;
    bench_write_pagetables(v);
    memcpy(v->mem + BENCH_ENTRY, code, len);
    return bench_setup_long(v, BENCH_ENTRY, BENCH_HVT_CR0, BENCH_HVT_CR4, 0);
}

/* Runs from the entry point to HLT; returns the ns KVM_RUN took. */
static int64_t cs_timed_run(struct bench_vm *v)
{
    struct kvm_regs regs;
    uint64_t a;

    if (ioctl(v->vcpu, KVM_GET_REGS, &regs) != 0)
        return -1;
    regs.rip = BENCH_ENTRY;
    if (ioctl(v->vcpu, KVM_SET_REGS, &regs) != 0)
        return -1;
    a = bench_now_ns();
    if (bench_run(v) != KVM_EXIT_HLT)
        return -1;
    return (int64_t)(bench_now_ns() - a);
}

#define CS_TOUCH_PAGES 16384        /* 64 MiB from 0x400000 */

static void cs_part2(void)
{
    /* Touch one byte per 4 KiB page from 4 MiB to 68 MiB, then hlt. */
    static const uint8_t touch[] = {
        0x48, 0xc7, 0xc0, 0x00, 0x00, 0x40, 0x00,  /* mov $0x400000,%rax */
        0x48, 0xc7, 0xc1, 0x00, 0x00, 0x40, 0x04,  /* mov $0x4400000,%rcx */
        0xc6, 0x00, 0x01,                          /* 1: movb $1,(%rax) */
        0x48, 0x05, 0x00, 0x10, 0x00, 0x00,        /* add $0x1000,%rax */
        0x48, 0x39, 0xc8,                          /* cmp %rcx,%rax */
        0x72, 0xf2,                                /* jb 1b */
        0xf4,                                      /* hlt */
    };
    /* 1,000,000 iterations of dec/jnz, then hlt. */
    static const uint8_t loop[] = {
        0xb9, 0x40, 0x42, 0x0f, 0x00,              /* mov $1000000,%ecx */
        0xff, 0xc9,                                /* 1: dec %ecx */
        0x75, 0xfc,                                /* jnz 1b */
        0xf4,                                      /* hlt */
    };
    /* out %eax,(%dx) to port 0x500 forever. */
    static const uint8_t pio[] = {
        0x66, 0xba, 0x00, 0x05,                    /* mov $0x500,%dx */
        0xef,                                      /* 1: out %eax,(%dx) */
        0xeb, 0xfd,                                /* jmp 1b */
    };
    static const struct { const char *name; int flags; int advice; } mem[] = {
        { "shared", MAP_SHARED, -1 },
        { "private", MAP_PRIVATE, -1 },
        { "private THP", MAP_PRIVATE, MADV_HUGEPAGE },
        { "shared POPULATE", MAP_SHARED | MAP_POPULATE, -1 },
    };
    struct bench_vm v;

    printf("\nPart 2: guest execution (512 MiB long-mode VM)\n");
    for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
        /* Best of 3 fresh VMs: other load on the host only adds time. */
        int64_t first = -1, second = -1;
        for (int k = 0; k < 3; k++) {
            int64_t f = -1, s = -1;
            if (cs_guest(&v, mem[i].flags, mem[i].advice, touch,
                         sizeof(touch)) == 0 &&
                (f = cs_timed_run(&v)) >= 0)
                s = cs_timed_run(&v);
            bench_close(&v);
            if (f < 0 || s < 0)
                break;
            if (first < 0 || f < first)
                first = f;
            if (second < 0 || s < second)
                second = s;
        }
        if (first < 0 || second < 0)
            printf("touch %s: failed\n", mem[i].name);
        else
            printf("touch %d pages, %-16s first pass %8.0f us, second pass "
                   "%8.0f us: first touch costs %.2f us/page\n",
                   CS_TOUCH_PAGES, mem[i].name, first / 1e3, second / 1e3,
                   (double)(first - second) / 1e3 / CS_TOUCH_PAGES);
    }

    int64_t best = -1;
    if (cs_guest(&v, MAP_SHARED, -1, loop, sizeof(loop)) == 0)
        for (int k = 0; k < 5; k++) {
            int64_t t = cs_timed_run(&v);
            if (t > 0 && (best < 0 || t < best))
                best = t;
        }
    bench_close(&v);
    printf("CPL0 loop: 1e6 x (dec; jnz) in %.0f us = %.1f ns per iteration\n",
           best / 1e3, best / 1e6);

    if (cs_guest(&v, MAP_SHARED, -1, pio, sizeof(pio)) == 0) {
        uint64_t n = 20000, a = bench_now_ns(), ok = 0;
        for (uint64_t k = 0; k < n; k++)
            ok += bench_run(&v) == KVM_EXIT_IO && v.run->io.port == 0x500;
        printf("PIO exit round trip (KVM_RUN -> out -> KVM_EXIT_IO): %.2f us "
               "(%llu/%llu exits ok)\n", (bench_now_ns() - a) / 1e3 / n,
               (unsigned long long)ok, (unsigned long long)n);
    }
    bench_close(&v);
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? atoi(argv[1]) : 200;

    if (argc > 2 || iterations < 1 || iterations > 4096) {
        fprintf(stderr, "usage: kvm_coldstart [ITERATIONS 1..4096]\n");
        return 2;
    }
    cs_part1(iterations);
    cs_part2();
    return 0;
}
