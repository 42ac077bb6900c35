/*
 * hvt_cpu_x86_64.c: the guest's first view of the machine (ref §2.2, §2.4):
 * identity-mapped page tables, a boot GDT, 64-bit mode, and the registers
 * the bindings' _start expects.
 *
 * Low memory (all of it absent from the guest's page tables):
 *   0x1000 boot GDT   0x2000 PML4   0x3000 PDPT   0x4000-0x7fff PD0-PD3
 *   0x8000 PT0, which maps the first 2 MiB in 4 KiB pages so that the zero
 *   page and the tables stay unmapped and the boot info page range
 *   [0x10000, 0x100000) is read-only.
 *   0x9000-0xffff: up to 7 more 4 KiB page tables (below).
 *
 * With h->user_mode every entry also has U (at every level, as the CPU
 * requires for a CPL3 access): the guest may then run at CPL3.  CR4.SMEP
 * and SMAP stay clear, so a guest that stays at CPL0 sees no difference.
 *
 * Each page gets its ELF segment's permissions here, differences from
 * upstream (whose tables map everything P|RW and leave read-only to the
 * host mapping):
 *  - read-only segments are not RW (CR0.WP makes that bind CPL0 too), and
 *    the host mapping stays writable (hvt_cpu_maps_read_only, hvt_mem.c);
 *  - where the vCPU has NX, EFER.NXE is set and every page that holds no
 *    byte of an executable ELF segment is NX: data, bss, heap, stack and
 *    boot info.
 * A 2 MiB page whose 4 KiB pages all get the same permissions stays a
 * 2 MiB page; one that mixes them gets a 4 KiB page table of its own (one
 * of the 7 spare ones; our linker scripts give two or three such pages).
 * Should they run out, it is mapped with the loosest permissions of its
 * pages, and the host maps its read-only pages read-only: a guest is never
 * denied execution of its own code, nor given write access to its text.
 *
 * Every entry has A set, and every writable one D: KVM's shadow paging
 * (kvm-pvm) maps the neighbours of a faulting page only if their entries
 * are marked accessed, up to 8 pages per fault instead of one.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"
#include "hvt_cpu_x86_64.h"
#include "hvt_cpuid_x86_64.h"
#include "hvt_user_start_x86_64.h"

#define GDT_BASE 0x1000ULL
#define PML4_BASE 0x2000ULL
#define PDPT_BASE 0x3000ULL
#define PD_BASE 0x4000ULL
#define PT0_BASE 0x8000ULL
#define PT_SPARE_BASE 0x9000ULL
#define PT_SPARE_END 0x10000ULL

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_A 0x20ULL
#define PTE_D 0x40ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)

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
#define EFER_NXE (1ULL << 11)

#define CPUID_EXT_FEATURES 0x80000001U
#define CPUID_EXT_EDX_NX (1U << 20)
#define CPUID_EXT_FEATURES_7 0x7U
#define CPUID_7_EBX_FSGSBASE (1U << 0)

/* What the guest's CPUID offers that the vCPU set-up depends on. */
struct hvt_cpu_has {
    bool nx;            /* EFER.NXE is refused without it */
    bool fsgsbase;      /* CR4.FSGSBASE likewise */
};

#define GDT_CODE 0x00AF99000000FFFFULL   /* 64-bit, exec-only, accessed */
#define GDT_DATA 0x00CF93000000FFFFULL   /* RW, accessed */
#define SEL_CODE 0x08
#define SEL_DATA 0x10

const bool hvt_cpu_has_user_mode = true;
const bool hvt_cpu_maps_read_only = true;

/*
 * The entry of the 4 KiB page at addr, without its address (0: not
 * mapped).  p is P, with U for a CPL3 guest; nx is NX where the vCPU has
 * it.  Segments are page-aligned (tender_elf.c), so one test per page
 * suffices.
 */
static uint64_t hvt_cpu_page_bits(const struct hvt *h, uint64_t addr,
        uint64_t p, uint64_t nx)
{
    uint64_t e = p | PTE_A;

    if (addr < HVT_BOOT_INFO_BASE)
        return 0;
    if (addr >= HVT_GUEST_MIN_BASE && !hvt_ranges_hold(h->ro, h->n_ro, addr))
        e |= PTE_RW | PTE_D;
    if (!hvt_ranges_hold(h->x, h->n_x, addr))
        e |= nx;
    return e;
}

/* The PT entries of the 2 MiB at base; tells whether their permissions
 * all agree (then one 2 MiB page can map them). */
static bool hvt_cpu_fill_pt(const struct hvt *h, uint64_t *pt, uint64_t base,
        uint64_t p, uint64_t nx)
{
    uint64_t first = hvt_cpu_page_bits(h, base, p, nx);
    bool uniform = true;

    for (uint64_t i = 0; i < ENTRIES; i++) {
        uint64_t addr = base + i * PAGE_4K;
        uint64_t bits = hvt_cpu_page_bits(h, addr, p, nx);

        pt[i] = bits == 0 ? 0 : addr | bits;
        uniform = uniform && bits == first;
    }
    return uniform;
}

/* Whether a read-only segment (the executable ones are among them) begins
 * or ends inside the 2 MiB at base, from 2 MiB on (the boot info's bounds
 * are in the first): only then can its pages differ.  Asked per 2 MiB, not
 * per page: 4 GiB of guest memory is 2048 of them (filling a PT for each
 * made a 4 GiB guest's start 3.5 ms slower). */
static bool hvt_cpu_block_split(const struct hvt *h, uint64_t base)
{
    uint64_t end = base + HVT_MEM_ALIGN;

    for (unsigned i = 0; i < h->n_ro; i++) {
        const struct hvt_range *r = &h->ro[i];

        if ((r->start > base && r->start < end) ||
                (r->end > base && r->end < end))
            return true;
    }
    return false;
}

/*
 * A 2 MiB page for the PT entries pt of the 2 MiB at base, which differ,
 * no spare table being left: writable and executable where any of its
 * pages is, its read-only pages made read-only by the host instead.
 */
static int hvt_cpu_loose_pde(struct hvt *h, const uint64_t *pt, uint64_t base,
        uint64_t *pde, struct tender_err *err)
{
    const uint64_t keep = PTE_P | PTE_US | PTE_A | PTE_RW | PTE_D;
    uint64_t end = base + HVT_MEM_ALIGN, nx = PTE_NX;

    *pde = base | PTE_PS;
    for (uint64_t i = 0; i < ENTRIES; i++) {
        *pde |= pt[i] & keep;
        nx &= pt[i];
    }
    *pde |= nx;
    for (unsigned i = 0; i < h->n_ro; i++) {
        uint64_t lo = h->ro[i].start > base ? h->ro[i].start : base;
        uint64_t hi = h->ro[i].end < end ? h->ro[i].end : end;

        if (lo < hi && hvt_mem_host_ro(h, lo, hi - lo, err) != 0)
            return -1;
    }
    return 0;
}

int hvt_cpu_page_tables(struct hvt *h, bool nx_ok, struct tender_err *err)
{
    uint64_t *pml4 = (uint64_t *)(h->mem + PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(h->mem + PDPT_BASE);
    uint64_t *pd = (uint64_t *)(h->mem + PD_BASE);
    uint64_t n_large = h->mem_size / HVT_MEM_ALIGN;
    uint64_t p = PTE_P | (h->user_mode ? PTE_US : 0);
    uint64_t table = p | PTE_A | PTE_RW;
    uint64_t nx = nx_ok ? PTE_NX : 0;
    uint64_t spare = PT_SPARE_BASE;
    uint64_t pt[ENTRIES];

    pml4[0] = PDPT_BASE | table;
    for (unsigned i = 0; i < 4; i++)
        pdpt[i] = (PD_BASE + i * PAGE_4K) | table;
    /* The four PDs are contiguous: index them as one 2048-entry table. */
    pd[0] = PT0_BASE | table;
    hvt_cpu_fill_pt(h, (uint64_t *)(h->mem + PT0_BASE), 0, p, nx);
    for (uint64_t i = 1; i < n_large; i++) {
        uint64_t base = i * HVT_MEM_ALIGN;

        if (!hvt_cpu_block_split(h, base)) {
            pd[i] = base | hvt_cpu_page_bits(h, base, p, nx) | PTE_PS;
        } else if (hvt_cpu_fill_pt(h, pt, base, p, nx)) {
            pd[i] = pt[0] | PTE_PS;
        } else if (spare < PT_SPARE_END) {
            memcpy(h->mem + spare, pt, sizeof(pt));
            pd[i] = spare | table;
            spare += PAGE_4K;
        } else if (hvt_cpu_loose_pde(h, pt, base, &pd[i], err) != 0) {
            return -1;
        }
    }
    /* The I/O ring area, right after guest memory: data only. */
    for (uint64_t i = n_large; i < n_large + hvt_ring_size(h) /
            HVT_MEM_ALIGN; i++)
        pd[i] = i * HVT_MEM_ALIGN | p | PTE_A | PTE_RW | PTE_D | PTE_PS | nx;
    return 0;
}

struct kvm_segment hvt_cpu_segment(uint16_t selector, uint8_t type,
        uint8_t l, uint8_t db, uint8_t dpl)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = selector,
        .type = type, .present = 1, .dpl = dpl, .db = db, .s = 1, .l = l,
        .g = 1,
    };
}

/* The boot state: CPL0 at e_entry, or the user start's CPL3 (ustart). */
static int hvt_cpu_sregs(struct hvt *h, struct hvt_cpu_has has,
        const struct hvt_user_start *ustart, struct tender_err *err)
{
    struct kvm_segment data = hvt_cpu_segment(SEL_DATA, 3, 0, 1, 0);
    struct kvm_sregs sregs;
    uint64_t *gdt = (uint64_t *)(h->mem + GDT_BASE);

    gdt[0] = 0;
    gdt[1] = GDT_CODE;
    gdt[2] = GDT_DATA;
    if (ioctl(h->vcpu_fd, KVM_GET_SREGS, &sregs) != 0)
        return tender_err_set(err, "KVM: KVM_GET_SREGS: %s", strerror(errno));
    sregs.cs = hvt_cpu_segment(SEL_CODE, 9, 1, 0, 0);
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
    sregs.efer = EFER_LME | EFER_LMA | (has.nx ? EFER_NXE : 0);
    if (ustart != NULL)
        hvt_user_start_sregs(&sregs, ustart, has.fsgsbase);
    if (ioctl(h->vcpu_fd, KVM_SET_SREGS, &sregs) != 0)
        return tender_err_set(err, "KVM: KVM_SET_SREGS: %s", strerror(errno));
    return 0;
}

/* The guest's CPUID: the allowlist of hvt_cpuid_x86_64.c over what KVM
 * supports (upstream passes all of it), fetched since /dev/kvm was opened
 * (hvt_kvm_cpuid_x86_64.c). */
static int hvt_cpu_set_cpuid(struct hvt *h, struct kvm_cpuid2 *guest,
        struct tender_err *err)
{
    struct kvm_cpuid2 *host;

    if (hvt_kvm_supported_cpuid(h, &host, err) != 0)
        return -1;
    if (hvt_cpuid_filter(host, guest, HVT_KVM_CPUID_MAX, err) != 0)
        return -1;
    if (ioctl(h->vcpu_fd, KVM_SET_CPUID2, guest) != 0)
        return tender_err_set(err, "KVM: KVM_SET_CPUID2: %s", strerror(errno));
    return 0;
}

/* Sets the guest's CPUID; *has tells what of it the set-up depends on. */
static int hvt_cpu_cpuid(struct hvt *h, struct hvt_cpu_has *has,
        struct tender_err *err)
{
    size_t size = sizeof(struct kvm_cpuid2) +
        HVT_KVM_CPUID_MAX * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *guest = calloc(1, size);
    int rc;

    *has = (struct hvt_cpu_has){ false, false };
    if (guest == NULL)
        rc = tender_err_set(err, "out of memory");
    else
        rc = hvt_cpu_set_cpuid(h, guest, err);
    for (uint32_t i = 0; rc == 0 && i < guest->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &guest->entries[i];

        if (e->function == CPUID_EXT_FEATURES)
            has->nx = (e->edx & CPUID_EXT_EDX_NX) != 0;
        if (e->function == CPUID_EXT_FEATURES_7 && e->index == 0)
            has->fsgsbase = (e->ebx & CPUID_7_EBX_FSGSBASE) != 0;
    }
    free(guest);
    hvt_kvm_cpuid_free(h);
    return rc;
}

/* A guest started at CPL3 with CR4.FSGSBASE set is told so in its boot
 * info (written before the vCPU is set up, hvt_boot.c). */
static void hvt_cpu_offer_fsgsbase(struct hvt *h)
{
    struct hvt_boot_info *bi = (void *)(h->mem + HVT_BOOT_INFO_BASE);

    bi->host_features |= HVT_FEATURE_FSGSBASE;
}

int hvt_cpu_setup(struct hvt *h, uint64_t entry, struct tender_err *err)
{
    struct kvm_regs regs = {
        .rip = entry,
        .rsp = h->mem_size - 8,     /* as if called: (rsp + 8) % 16 == 0 */
        .rdi = HVT_BOOT_INFO_BASE,
        .rflags = 0x2,              /* IF=0: no interrupts, ever */
    };
    struct hvt_user_start header, *ustart = NULL;
    struct hvt_cpu_has has;

    if (h->user_mode && h->user_start &&
            hvt_user_start_find(h, entry, &header)) {
        if (hvt_user_start_check(h, &header, err) != 0)
            return -1;
        ustart = &header;
        regs.rip = header.entry;
    }
    /* CPUID first: KVM checks EFER and CR4 against it. */
    if (hvt_cpu_cpuid(h, &has, err) != 0)
        return -1;
    if (hvt_cpu_page_tables(h, has.nx, err) != 0)
        return -1;
    if (hvt_cpu_sregs(h, has, ustart, err) != 0)
        return -1;
    if (ustart != NULL && has.fsgsbase)
        hvt_cpu_offer_fsgsbase(h);
    if (ioctl(h->vcpu_fd, KVM_SET_REGS, &regs) != 0)
        return tender_err_set(err, "KVM: KVM_SET_REGS: %s", strerror(errno));
    return 0;
}
