/*
 * test_xen_pagetables: the xen bindings build their page tables in the
 * pages just below the heap and do not map them, so that no stray write
 * can change a mapping: a write to the last of them must fault.
 */
#include "guest.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    volatile uint64_t *entry =
        (volatile uint64_t *)guest_launder(si->heap_start - sizeof(uint64_t));

    guest_banner("test_xen_pagetables");
    guest_puts("writing at ");
    guest_put_hex((uintptr_t)entry);
    guest_puts("\n");
    *entry = 0;
    return guest_failure("the page tables are writable");
}
