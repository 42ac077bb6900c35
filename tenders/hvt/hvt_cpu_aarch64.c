/*
 * hvt_cpu_aarch64.c: the guest's first view of the machine on aarch64
 * (ref A2.2-A2.4): stage-1 page tables for an identity map, the MMU and
 * cache set-up, and the registers the bindings' _start expects.
 *
 * Low memory (none of it mapped for the guest):
 *   0x1000 L0 (TTBR0_EL1)   0x2000 L1   0x3000-0x6fff four L2 (4 GiB)
 *   0x7000 L3 of the first 2 MiB (zero page and tables absent, boot info
 *   [0x10000, 0x100000) read-only)
 *   0x8000-0xffff: up to 8 more L3 tables, for 2 MiB that mix permissions.
 * RAM is otherwise mapped in 2 MiB blocks; the MMIO window (hypercalls,
 * HVT_MMIO_BASE) is one 1 GiB block of Device-nGnRE memory.
 *
 * Permissions, a difference from upstream (whose stage 1 maps all RAM
 * writable and executable, leaving W^X to the host's stage 2): each 4 KiB
 * page gets its ELF segment's permissions at stage 1 too.  Executable
 * segments are read-only and executable at EL1; read-only ones read-only,
 * never executable; everything else (data, bss, heap, stack) writable and
 * never executable (PXN).  SCTLR_EL1.WXN is set as well, so no writable
 * page can ever execute.  A 2 MiB block whose pages differ gets an L3
 * table; should the spare ones run out (no linker script of ours needs
 * more than two) it is mapped with the most permissive of its pages'
 * permissions, without write where any page is executable.  EL0 has no
 * access to anything (AP[1] = 0, UXN everywhere).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

#define L0_BASE 0x1000ULL
#define L1_BASE 0x2000ULL
#define L2_BASE 0x3000ULL
#define L3_FIRST 0x7000ULL
#define L3_SPARE_BASE 0x8000ULL
#define L3_SPARE_END 0x10000ULL

#define PAGE_4K 0x1000ULL
#define ENTRIES 512
#define BLOCK_1G (1ULL << 30)

#define DESC_VALID (1ULL << 0)
#define DESC_TABLE (3ULL << 0)          /* table (L0-L2) or page (L3) */
#define DESC_ATTR(i) ((uint64_t)(i) << 2)
#define DESC_RO (1ULL << 7)             /* AP[2]; AP[1] = 0: no EL0 access */
#define DESC_SH_INNER (3ULL << 8)
#define DESC_AF (1ULL << 10)
#define DESC_PXN (1ULL << 53)
#define DESC_UXN (1ULL << 54)

/* MAIR_EL1 attribute indices (ref A2.2's value). */
#define ATTR_DEVICE_NGNRE 1
#define ATTR_NORMAL_WB 4
#define MAIR_VALUE 0x0000BBFF440C0400ULL

/* The permissions of a page, as descriptor bits (0: not mapped). */
#define PERM_RW (DESC_PXN)
#define PERM_RX (DESC_RO)
#define PERM_RO (DESC_RO | DESC_PXN)
#define NORMAL (DESC_VALID | DESC_ATTR(ATTR_NORMAL_WB) | DESC_SH_INNER | \
        DESC_AF | DESC_UXN)
#define DEVICE (DESC_VALID | DESC_ATTR(ATTR_DEVICE_NGNRE) | DESC_SH_INNER | \
        DESC_AF | DESC_PXN | DESC_UXN)

/* TCR_EL1: T0SZ = 24 (40-bit VA), 4 KiB granule, inner/outer write-back
 * write-allocate, inner shareable, IPS 40 bits, 16-bit ASIDs, top byte
 * ignored (ref A2.2), plus EPD1: no walks from TTBR1, whose upper half of
 * the address space the guest does not use. */
#define TCR_VALUE (0x32B5183518ULL | (1ULL << 23))

#define SCTLR_M (1ULL << 0)
#define SCTLR_A (1ULL << 1)
#define SCTLR_C (1ULL << 2)
#define SCTLR_I (1ULL << 12)
#define SCTLR_WXN (1ULL << 19)
#define SCTLR_E0E (1ULL << 24)
#define SCTLR_EE (1ULL << 25)
#define CPACR_FPEN (3ULL << 20)         /* no FP/SIMD traps at EL1 or EL0 */
#define PSTATE_EL1H_MASKED 0x3c5ULL     /* EL1h, D A I F masked */

#define CORE_REG(r) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
        KVM_REG_ARM_CORE_REG(r))
#define REG_CPACR_EL1 ARM64_SYS_REG(3, 0, 1, 0, 2)
#define REG_MAIR_EL1 ARM64_SYS_REG(3, 0, 10, 2, 0)
#define REG_TCR_EL1 ARM64_SYS_REG(3, 0, 2, 0, 2)
#define REG_TTBR0_EL1 ARM64_SYS_REG(3, 0, 2, 0, 0)
#define REG_SCTLR_EL1 ARM64_SYS_REG(3, 0, 1, 0, 0)

const bool hvt_cpu_has_user_mode = false;
const bool hvt_cpu_maps_read_only = false;

/* The permission bits of the 4 KiB page at addr; 0 if it is not mapped. */
static uint64_t hvt_cpu_page_perm(const struct hvt *h, uint64_t addr)
{
    if (addr < HVT_BOOT_INFO_BASE)
        return 0;
    if (addr < HVT_GUEST_MIN_BASE)
        return PERM_RO;
    if (hvt_ranges_hold(h->x, h->n_x, addr))
        return PERM_RX;
    if (hvt_ranges_hold(h->ro, h->n_ro, addr))
        return PERM_RO;
    return PERM_RW;
}

/* The permissions of the 2 MiB at base: *uniform tells whether every page
 * has them; otherwise they are the loosest that keeps W^X. */
static uint64_t hvt_cpu_block_perm(const struct hvt *h, uint64_t base,
        bool *uniform)
{
    uint64_t first = hvt_cpu_page_perm(h, base), loose = first;

    *uniform = true;
    for (uint64_t a = base + PAGE_4K; a < base + HVT_MEM_ALIGN; a += PAGE_4K) {
        uint64_t p = hvt_cpu_page_perm(h, a);

        if (p != first)
            *uniform = false;
        /* Clearing a bit loosens: RO and PXN are restrictions. */
        loose &= p;
    }
    if (!(loose & DESC_PXN))
        loose |= DESC_RO;
    return loose;
}

static void hvt_cpu_fill_l3(const struct hvt *h, uint64_t *l3, uint64_t base)
{
    for (uint64_t i = 0; i < ENTRIES; i++) {
        uint64_t addr = base + i * PAGE_4K;
        uint64_t perm = hvt_cpu_page_perm(h, addr);

        l3[i] = perm == 0 ? 0 : addr | NORMAL | DESC_TABLE | perm;
    }
}

static void hvt_cpu_page_tables(struct hvt *h)
{
    uint64_t *l0 = (uint64_t *)(h->mem + L0_BASE);
    uint64_t *l1 = (uint64_t *)(h->mem + L1_BASE);
    uint64_t *l2 = (uint64_t *)(h->mem + L2_BASE);
    uint64_t mapped = h->mem_size + hvt_ring_size(h);
    uint64_t spare = L3_SPARE_BASE;

    l0[0] = L1_BASE | DESC_TABLE;
    for (uint64_t i = 0; i * BLOCK_1G < mapped; i++)
        l1[i] = (L2_BASE + i * PAGE_4K) | DESC_TABLE;
    l1[HVT_MMIO_BASE / BLOCK_1G] = HVT_MMIO_BASE | DEVICE;
    /* The four L2 tables are contiguous: index them as one. */
    l2[0] = L3_FIRST | DESC_TABLE;
    hvt_cpu_fill_l3(h, (uint64_t *)(h->mem + L3_FIRST), 0);
    for (uint64_t i = 1; i * HVT_MEM_ALIGN < h->mem_size; i++) {
        uint64_t base = i * HVT_MEM_ALIGN;
        bool uniform;
        uint64_t perm = hvt_cpu_block_perm(h, base, &uniform);

        if (uniform || spare == L3_SPARE_END) {
            l2[i] = base | NORMAL | perm;
            continue;
        }
        hvt_cpu_fill_l3(h, (uint64_t *)(h->mem + spare), base);
        l2[i] = spare | DESC_TABLE;
        spare += PAGE_4K;
    }
    /* The I/O ring area, right after guest memory: data only. */
    for (uint64_t a = h->mem_size; a < mapped; a += HVT_MEM_ALIGN)
        l2[a / HVT_MEM_ALIGN] = a | NORMAL | PERM_RW;
}

static int hvt_cpu_set(struct hvt *h, uint64_t id, uint64_t value,
        const char *what, struct tender_err *err)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&value };

    if (ioctl(h->vcpu_fd, KVM_SET_ONE_REG, &reg) != 0)
        return tender_err_set(err, "KVM: setting %s failed: %s", what,
                strerror(errno));
    return 0;
}

static int hvt_cpu_get(struct hvt *h, uint64_t id, uint64_t *value,
        const char *what, struct tender_err *err)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)value };

    if (ioctl(h->vcpu_fd, KVM_GET_ONE_REG, &reg) != 0)
        return tender_err_set(err, "KVM: reading %s failed: %s", what,
                strerror(errno));
    return 0;
}

/* FP/SIMD untrapped, then the MMU on with the tables above (its other
 * control bits keep KVM's reset values, the RES1 ones among them). */
static int hvt_cpu_mmu(struct hvt *h, struct tender_err *err)
{
    uint64_t cpacr, sctlr;

    if (hvt_cpu_get(h, REG_CPACR_EL1, &cpacr, "CPACR_EL1", err) ||
            hvt_cpu_set(h, REG_CPACR_EL1, cpacr | CPACR_FPEN, "CPACR_EL1",
                err) ||
            hvt_cpu_set(h, REG_MAIR_EL1, MAIR_VALUE, "MAIR_EL1", err) ||
            hvt_cpu_set(h, REG_TCR_EL1, TCR_VALUE, "TCR_EL1", err) ||
            hvt_cpu_set(h, REG_TTBR0_EL1, L0_BASE, "TTBR0_EL1", err) ||
            hvt_cpu_get(h, REG_SCTLR_EL1, &sctlr, "SCTLR_EL1", err))
        return -1;
    sctlr &= ~(SCTLR_A | SCTLR_E0E | SCTLR_EE);
    sctlr |= SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_WXN;
    return hvt_cpu_set(h, REG_SCTLR_EL1, sctlr, "SCTLR_EL1", err);
}

int hvt_cpu_setup(struct hvt *h, uint64_t entry, struct tender_err *err)
{
    hvt_cpu_page_tables(h);
    if (hvt_cpu_mmu(h, err) ||
            hvt_cpu_set(h, CORE_REG(regs.pstate), PSTATE_EL1H_MASKED,
                "PSTATE", err) ||
            /* 16-byte aligned, as AAPCS64 wants it at every call. */
            hvt_cpu_set(h, CORE_REG(sp_el1), h->mem_size - 16, "SP_EL1",
                err) ||
            hvt_cpu_set(h, CORE_REG(regs.regs[0]), HVT_BOOT_INFO_BASE, "x0",
                err) ||
            hvt_cpu_set(h, CORE_REG(regs.pc), entry, "PC", err))
        return -1;
    return 0;
}
