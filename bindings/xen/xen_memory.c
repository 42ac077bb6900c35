/*
 * xen_memory.c: how much RAM the unikernel has.
 *
 * The memory map comes from Xen (XENMEM_memory_map, E820 records), or from
 * the start info's table when Xen does not answer that (version 1 of
 * struct hvm_start_info has one).  The unikernel's memory is the RAM range
 * its image was loaded into, from the image up (upstream takes the first
 * RAM range that ends above 1 MiB, which is the same range on the layouts
 * Xen builds), capped at the 4 GiB the page tables give the heap and stack.
 */
#include "xen.h"

#define E820_RAM 1
#define MEMORY_MAP_MAX 128
#define MAX_MEMORY (4ULL << 30)

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

extern char _stext[];

static uint64_t top_of(uint64_t addr, uint64_t size, uint32_t type)
{
    uint64_t image = (uintptr_t)_stext;

    if (type != E820_RAM || addr > image || size <= image - addr)
        return 0;
    return addr + size;
}

static uint64_t top_from_xen(void)
{
    static struct e820_entry map[MEMORY_MAP_MAX];
    struct xen_memory_map request = { .nr_entries = MEMORY_MAP_MAX };
    uint64_t top = 0;

    set_xen_guest_handle(request.buffer, map);
    if (xen_hypercall_memory_op(XENMEM_memory_map, &request) != 0)
        return 0;
    for (unsigned i = 0; i < request.nr_entries && i < MEMORY_MAP_MAX &&
            top == 0; i++)
        top = top_of(map[i].addr, map[i].size, map[i].type);
    return top;
}

static uint64_t top_from_start_info(const struct hvm_start_info *si)
{
    const struct hvm_memmap_table_entry *map;
    uint64_t top = 0;

    if (si->version < 1 || si->memmap_paddr == 0)
        return 0;
    map = (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
    for (unsigned i = 0; i < si->memmap_entries && top == 0; i++)
        top = top_of(map[i].addr, map[i].size, map[i].type);
    return top;
}

uint64_t xen_memory_size(const struct hvm_start_info *si)
{
    uint64_t top = top_from_xen();

    if (top == 0)
        top = top_from_start_info(si);
    if (top > MAX_MEMORY)
        top = MAX_MEMORY;
    return top & ~(uint64_t)(BINDINGS_PAGE_SIZE - 1);
}
