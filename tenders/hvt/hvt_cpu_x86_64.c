/*
 * hvt_cpu_x86_64.c: the guest's first view of the machine (ref §2.2, §2.4):
 * identity-mapped page tables, a boot GDT, 64-bit mode, and the registers
 * the bindings' _start expects.
 *
 * Low memory (all of it absent from the guest's page tables):
 *   0x1000 boot GDT   0x2000 PML4   0x3000 PDPT   0x4000-0x7fff PD0-PD3
 *   0x8000 PT0, which maps the first 2 MiB in 4 KiB pages so that the zero
 *   page and the tables stay unmapped and the boot info page range
 *   [0x10000, 0x100000) is read-only.  The rest is 2 MiB pages, P|RW.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

#define GDT_BASE 0x1000ULL
#define PML4_BASE 0x2000ULL
#define PDPT_BASE 0x3000ULL
#define PD_BASE 0x4000ULL
#define PT0_BASE 0x8000ULL

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL

#define PAGE_4K 0x1000ULL
#define ENTRIES 512

#define CR0_PE (1ULL << 0)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define GDT_CODE 0x00AF99000000FFFFULL   /* 64-bit, exec-only, accessed */
#define GDT_DATA 0x00CF93000000FFFFULL   /* RW, accessed */
#define SEL_CODE 0x08
#define SEL_DATA 0x10

#define CPUID_MAX_ENTRIES 256

static void hvt_cpu_page_tables(struct hvt *h)
{
    uint64_t *pml4 = (uint64_t *)(h->mem + PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(h->mem + PDPT_BASE);
    uint64_t *pd = (uint64_t *)(h->mem + PD_BASE);
    uint64_t *pt0 = (uint64_t *)(h->mem + PT0_BASE);
    uint64_t n_large = h->mem_size / HVT_MEM_ALIGN;

    pml4[0] = PDPT_BASE | PTE_P | PTE_RW;
    for (unsigned i = 0; i < 4; i++)
        pdpt[i] = (PD_BASE + i * PAGE_4K) | PTE_P | PTE_RW;
    /* The four PDs are contiguous: index them as one 2048-entry table. */
    pd[0] = PT0_BASE | PTE_P | PTE_RW;
    for (uint64_t i = 1; i < n_large; i++)
        pd[i] = (i * HVT_MEM_ALIGN) | PTE_P | PTE_RW | PTE_PS;
    for (uint64_t i = HVT_BOOT_INFO_BASE / PAGE_4K; i < ENTRIES; i++) {
        uint64_t addr = i * PAGE_4K;

        pt0[i] = addr | PTE_P | (addr >= HVT_GUEST_MIN_BASE ? PTE_RW : 0);
    }
}

static struct kvm_segment hvt_cpu_segment(uint16_t selector, uint8_t type,
        uint8_t l, uint8_t db)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = selector,
        .type = type, .present = 1, .dpl = 0, .db = db, .s = 1, .l = l,
        .g = 1,
    };
}

static int hvt_cpu_sregs(struct hvt *h, struct tender_err *err)
{
    struct kvm_segment data = hvt_cpu_segment(SEL_DATA, 3, 0, 1);
    struct kvm_sregs sregs;
    uint64_t *gdt = (uint64_t *)(h->mem + GDT_BASE);

    gdt[0] = 0;
    gdt[1] = GDT_CODE;
    gdt[2] = GDT_DATA;
    if (ioctl(h->vcpu_fd, KVM_GET_SREGS, &sregs) != 0)
        return tender_err_set(err, "KVM: KVM_GET_SREGS: %s", strerror(errno));
    sregs.cs = hvt_cpu_segment(SEL_CODE, 9, 1, 0);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.tr = (struct kvm_segment){ .type = 11, .present = 1 };
    sregs.ldt = (struct kvm_segment){ .type = 2, .present = 0,
        .unusable = 1 };
    sregs.gdt.base = GDT_BASE;
    sregs.gdt.limit = 3 * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    sregs.cr0 = CR0_PE | CR0_NE | CR0_WP | CR0_PG;
    sregs.cr3 = PML4_BASE;
    sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    sregs.efer = EFER_LME | EFER_LMA;
    if (ioctl(h->vcpu_fd, KVM_SET_SREGS, &sregs) != 0)
        return tender_err_set(err, "KVM: KVM_SET_SREGS: %s", strerror(errno));
    return 0;
}

/* What KVM supports is what the guest sees, unfiltered (as upstream). */
static int hvt_cpu_cpuid(struct hvt *h, struct tender_err *err)
{
    size_t size = sizeof(struct kvm_cpuid2) +
        CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *cpuid = calloc(1, size);
    int rc = 0;

    if (cpuid == NULL)
        return tender_err_set(err, "out of memory");
    cpuid->nent = CPUID_MAX_ENTRIES;
    if (ioctl(h->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) != 0)
        rc = tender_err_set(err, "KVM: KVM_GET_SUPPORTED_CPUID: %s",
                strerror(errno));
    else if (ioctl(h->vcpu_fd, KVM_SET_CPUID2, cpuid) != 0)
        rc = tender_err_set(err, "KVM: KVM_SET_CPUID2: %s", strerror(errno));
    free(cpuid);
    return rc;
}

int hvt_cpu_setup(struct hvt *h, uint64_t entry, struct tender_err *err)
{
    struct kvm_regs regs = {
        .rip = entry,
        .rsp = h->mem_size - 8,     /* as if called: (rsp + 8) % 16 == 0 */
        .rdi = HVT_BOOT_INFO_BASE,
        .rflags = 0x2,              /* IF=0: no interrupts, ever */
    };

    hvt_cpu_page_tables(h);
    if (hvt_cpu_sregs(h, err) != 0 || hvt_cpu_cpuid(h, err) != 0)
        return -1;
    if (ioctl(h->vcpu_fd, KVM_SET_REGS, &regs) != 0)
        return tender_err_set(err, "KVM: KVM_SET_REGS: %s", strerror(errno));
    return 0;
}
