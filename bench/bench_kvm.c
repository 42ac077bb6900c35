/*
 * bench_kvm.c: see bench_kvm.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench_kvm.h"

#define BENCH_PAGE      0x1000UL
#define BENCH_2M        0x200000UL
#define BENCH_PTE_P     0x1UL
#define BENCH_PTE_RW    0x2UL
#define BENCH_PTE_PS    0x80UL
#define BENCH_PTE_US    0x4UL
#define BENCH_RFLAGS    0x2UL       /* IF=0, as in hvt */
#define BENCH_IOPL3     0x3000UL
#define BENCH_CPUID_MAX 100         /* hvt asks for up to 100 entries */

void bench_init(struct bench_vm *v)
{
    v->kvm = -1;
    v->vm = -1;
    v->vcpu = -1;
    v->run = NULL;
    v->run_size = 0;
    v->mem = NULL;
    v->mem_size = 0;
}

int bench_open(struct bench_vm *v)
{
    v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (v->kvm < 0)
        return -errno;
    if (ioctl(v->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        return -ENOTSUP;
    v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
    if (v->vm < 0)
        return -errno;
    return 0;
}

int bench_add_memory(struct bench_vm *v, size_t size, int mmap_flags,
                     int advice)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   mmap_flags | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    v->mem = p;
    v->mem_size = size;
    if (advice >= 0 && madvise(p, size, advice) != 0)
        return -errno;

    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)p,
    };
    if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region) != 0)
        return -errno;
    return 0;
}

int bench_create_vcpu(struct bench_vm *v)
{
    v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
    if (v->vcpu < 0)
        return -errno;
    int size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < 0)
        return -errno;
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   v->vcpu, 0);
    if (p == MAP_FAILED)
        return -errno;
    v->run = p;
    v->run_size = (size_t)size;
    return 0;
}

static int bench_set_regs(struct bench_vm *v, uint64_t entry, uint64_t rsp,
                          uint64_t rflags)
{
    struct kvm_regs regs = {
        .rip = entry,
        .rsp = rsp,
        .rdi = BENCH_RO_START,
        .rflags = rflags,
    };
    if (ioctl(v->vcpu, KVM_SET_REGS, &regs) != 0)
        return -errno;
    return 0;
}

int bench_setup_real(struct bench_vm *v, uint64_t entry)
{
    struct kvm_sregs sregs;

    if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) != 0)
        return -errno;
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) != 0)
        return -errno;
    return bench_set_regs(v, entry, 0, BENCH_RFLAGS);
}

void bench_write_pagetables(struct bench_vm *v)
{
    uint64_t *gdt = (uint64_t *)(v->mem + BENCH_GDT_BASE);
    uint64_t *pml4 = (uint64_t *)(v->mem + BENCH_PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(v->mem + BENCH_PDPT_BASE);
    uint64_t *pd = (uint64_t *)(v->mem + BENCH_PD_BASE);
    uint64_t *pt0 = (uint64_t *)(v->mem + BENCH_PT0_BASE);

    gdt[0] = 0;
    gdt[1] = 0x00AF99000000FFFFULL;     /* 64-bit code, DPL0 */
    gdt[2] = 0x00CF93000000FFFFULL;     /* data, DPL0 */
    gdt[3] = 0x00AFF9000000FFFFULL;     /* 64-bit code, DPL3 (not in hvt) */
    gdt[4] = 0x00CFF3000000FFFFULL;     /* data, DPL3 (not in hvt) */

    pml4[0] = BENCH_PDPT_BASE | BENCH_PTE_P | BENCH_PTE_RW;
    for (uint64_t i = 0; i < 4; i++)
        pdpt[i] = (BENCH_PD_BASE + i * BENCH_PAGE) | BENCH_PTE_P | BENCH_PTE_RW;
    /* The 4 PDs are contiguous: index them as one 2048-entry table. */
    pd[0] = BENCH_PT0_BASE | BENCH_PTE_P | BENCH_PTE_RW;
    for (uint64_t a = 0; a < BENCH_2M; a += BENCH_PAGE) {
        if (a < BENCH_RO_START)
            pt0[a / BENCH_PAGE] = 0;
        else if (a < BENCH_ENTRY)
            pt0[a / BENCH_PAGE] = a | BENCH_PTE_P;
        else
            pt0[a / BENCH_PAGE] = a | BENCH_PTE_P | BENCH_PTE_RW;
    }
    for (uint64_t a = BENCH_2M; a < v->mem_size; a += BENCH_2M)
        pd[a / BENCH_2M] = a | BENCH_PTE_P | BENCH_PTE_RW | BENCH_PTE_PS;
}

void bench_set_user_pages(struct bench_vm *v)
{
    uint64_t *tables = (uint64_t *)(v->mem + BENCH_PML4_BASE);
    /* PML4, PDPT, 4 PDs and PT0 are the 7 pages from 0x2000 to 0x8fff. */
    size_t entries = (BENCH_PT0_BASE + BENCH_PAGE - BENCH_PML4_BASE) / 8;

    for (size_t i = 0; i < entries; i++)
        if (tables[i] & BENCH_PTE_P)
            tables[i] |= BENCH_PTE_US;
}

int bench_setup_long(struct bench_vm *v, uint64_t entry, uint64_t cr0,
                     uint64_t cr4, unsigned flags)
{
    int user = (flags & BENCH_LONG_USER) != 0;
    struct kvm_sregs sregs;
    struct kvm_segment code = {
        .base = 0, .limit = 0xffffffff, .selector = 0x08,
        .type = 9, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
    };
    struct kvm_segment data = {
        .base = 0, .limit = 0xffffffff, .selector = 0x10,
        .type = 3, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };

    if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) != 0)
        return -errno;
    sregs.cs = code;
    if (user) {
        code.dpl = data.dpl = 3;
        code.selector = 0x1b;
        data.selector = 0x23;
    }
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.tr.base = 0;
    sregs.tr.limit = 0;
    sregs.tr.selector = 0;
    sregs.tr.type = 11;
    sregs.tr.present = 1;
    sregs.ldt.unusable = 1;
    sregs.gdt.base = BENCH_GDT_BASE;
    sregs.gdt.limit = (user ? 5 : 3) * 8 - 1;
    sregs.cr0 = cr0;
    sregs.cr3 = BENCH_PML4_BASE;
    sregs.cr4 = cr4;
    sregs.efer = BENCH_EFER_LME | BENCH_EFER_LMA;
    if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) != 0)
        return -errno;
    return bench_set_regs(v, entry, v->mem_size - 8,
                          BENCH_RFLAGS | (user ? BENCH_IOPL3 : 0));
}

int bench_set_cpuid(struct bench_vm *v)
{
    size_t size = sizeof(struct kvm_cpuid2) +
                  BENCH_CPUID_MAX * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *cpuid = calloc(1, size);
    int rc = 0;

    if (cpuid == NULL)
        return -ENOMEM;
    cpuid->nent = BENCH_CPUID_MAX;
    if (ioctl(v->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) != 0 ||
        ioctl(v->vcpu, KVM_SET_CPUID2, cpuid) != 0)
        rc = -errno;
    free(cpuid);
    return rc;
}

int bench_run(struct bench_vm *v)
{
    for (;;) {
        if (ioctl(v->vcpu, KVM_RUN, 0) == 0)
            return (int)v->run->exit_reason;
        if (errno != EINTR)
            return -errno;
    }
}

void bench_close(struct bench_vm *v)
{
    if (v->run != NULL)
        munmap(v->run, v->run_size);
    if (v->vcpu >= 0)
        close(v->vcpu);
    if (v->vm >= 0)
        close(v->vm);
    if (v->mem != NULL)
        munmap(v->mem, v->mem_size);
    if (v->kvm >= 0)
        close(v->kvm);
    bench_init(v);
}

const char *bench_exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_IO:
        return "IO";
    case KVM_EXIT_HLT:
        return "HLT";
    case KVM_EXIT_MMIO:
        return "MMIO";
    case KVM_EXIT_SHUTDOWN:
        return "SHUTDOWN";
    case KVM_EXIT_FAIL_ENTRY:
        return "FAIL_ENTRY";
    case KVM_EXIT_INTERNAL_ERROR:
        return "INTERNAL_ERROR";
    default:
        return "other";
    }
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
