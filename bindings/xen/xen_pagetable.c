/*
 * xen_pagetable.c: the page tables the unikernel runs on, built at boot
 * in the pages right after the image (then taken off the heap).
 *
 * Identity map of [0, 5 GiB): 4 KiB pages up to the end of the read-only
 * data and of the page tables, then 2 MiB pages.  Nothing below the image
 * is mapped (NULL and other low addresses fault), nor are the page tables
 * themselves (the MMU reads them by physical address: no stray write of
 * the application can make data executable); the text is read-only and
 * executable, the read-only data read-only, and everything else (data,
 * heap, stack, Xen's console and store pages near 4 GiB, the LAPIC, the
 * grant-mapping area at 4-5 GiB) read-write and never executable when the
 * CPU has NX.  Upstream builds the same map at a fixed 0x10000, below the
 * image and so unmapped too; the pages after the image are RAM wherever
 * Xen loads it.
 */
#include "xen.h"

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL
#define PT_ENTRIES 512
#define PAGE_SHIFT 12
#define LARGE_PAGE (1ULL << 21)
#define MAPPED_GIB 5 /* 0-4 GiB RAM and devices, 4-5 GiB grant mappings */

_Static_assert(XEN_GNTMAP_BASE + XEN_GNTMAP_SIZE <= (uint64_t)MAPPED_GIB << 30,
        "the grant-mapping area is mapped");

extern char _stext[], _etext[], _erodata[], _end[];

#define UPPER_TABLES (2 + MAPPED_GIB) /* L4, L3 and the L2s */

/* L1 pages: 4 KiB pages up to the end of the rodata and of the tables,
 * which the L1 pages lengthen (one more may cross a 2 MiB boundary). */
static size_t small_tables(const struct xen_image *image)
{
    size_t n = 0;

    for (;;) {
        uintptr_t end = image->tables +
            (UPPER_TABLES + n) * BINDINGS_PAGE_SIZE;
        uintptr_t top = end > image->erodata ? end : image->erodata;
        size_t need = bindings_align_up(top, LARGE_PAGE) / LARGE_PAGE;

        if (need <= n)
            return n;
        n = need;
    }
}

size_t xen_pagetable_pages(const struct xen_image *image)
{
    return UPPER_TABLES + small_tables(image);
}

static uint64_t small_page(const struct xen_image *image, uint64_t tables_end,
        uint64_t addr, uint64_t nx)
{
    if (addr < image->stext || (addr >= image->tables && addr < tables_end))
        return 0;
    if (addr < image->etext)
        return addr | PTE_P;
    if (addr < image->erodata)
        return addr | PTE_P | nx;
    return addr | PTE_P | PTE_RW | nx;
}

uint64_t xen_pagetable_build(uint64_t *pages, const struct xen_image *image,
        uint64_t nx)
{
    uint64_t *l4 = pages, *l3 = l4 + PT_ENTRIES, *l2 = l3 + PT_ENTRIES;
    uint64_t *l1 = l2 + MAPPED_GIB * PT_ENTRIES;
    size_t n_small = small_tables(image);
    uint64_t tables_end = image->tables +
        xen_pagetable_pages(image) * BINDINGS_PAGE_SIZE;

    bindings_memset(pages, 0,
            xen_pagetable_pages(image) * PT_ENTRIES * sizeof(*pages));
    /* The upper levels allow everything: the leaves decide. */
    l4[0] = (uintptr_t)l3 | PTE_P | PTE_RW;
    for (size_t g = 0; g < MAPPED_GIB; g++)
        l3[g] = (uintptr_t)(l2 + g * PT_ENTRIES) | PTE_P | PTE_RW;
    for (size_t i = 0; i < MAPPED_GIB * PT_ENTRIES; i++) {
        if (i < n_small)
            l2[i] = (uintptr_t)(l1 + i * PT_ENTRIES) | PTE_P | PTE_RW;
        else
            l2[i] = i * LARGE_PAGE | PTE_P | PTE_RW | PTE_PS | nx;
    }
    for (size_t p = 0; p < n_small * PT_ENTRIES; p++)
        l1[p] = small_page(image, tables_end, (uint64_t)p << PAGE_SHIFT, nx);
    return (uintptr_t)l4;
}

/* The linked image, in page bounds (the linker script starts rodata and
 * data on pages), and the page tables in the first pages after it. */
static struct xen_image linked_image(void)
{
    return (struct xen_image) {
        .stext = (uintptr_t)_stext,
        .etext = bindings_align_up((uintptr_t)_etext, BINDINGS_PAGE_SIZE),
        .erodata = bindings_align_up((uintptr_t)_erodata, BINDINGS_PAGE_SIZE),
        .tables = bindings_align_up((uintptr_t)_end, BINDINGS_PAGE_SIZE),
    };
}

size_t xen_pagetable_size(void)
{
    struct xen_image image = linked_image();

    return xen_pagetable_pages(&image) * BINDINGS_PAGE_SIZE;
}

void xen_pagetable_init(void)
{
    struct xen_image image = linked_image();
    uint64_t *pages = (uint64_t *)image.tables;
    uint64_t nx = (bindings_cpu_rdmsr(XEN_EFER) & XEN_EFER_NXE) ? XEN_PTE_NX
        : 0;

    xen_cpu_load_cr3(xen_pagetable_build(pages, &image, nx));
}

/* MirageOS maps grants here: already mapped, read-write, never executed. */
void solo5__xen_get_gntmap_area(uint64_t *addr, size_t *size)
{
    *addr = XEN_GNTMAP_BASE;
    *size = XEN_GNTMAP_SIZE;
}
