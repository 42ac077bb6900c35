/*
 * test_memfill: uses all the memory it was given: writes every page of
 * the heap (all but the top 256 KiB, left to the stack), reads it back,
 * prints "filled <n> MiB" and SUCCESS (tests/faults/: a memory cgroup
 * limit must stop a tender at start-up, not kill it here).
 */
#include "guest.h"

#define PAGE 4096UL
#define STACK_RESERVE (256UL * 1024)

int solo5_app_main(const struct solo5_start_info *si)
{
    volatile uint8_t *heap = (volatile uint8_t *)si->heap_start;
    size_t size = si->heap_size - STACK_RESERVE;

    guest_banner("test_memfill");
    if (si->heap_size <= STACK_RESERVE)
        return guest_failure("no heap");
    for (size_t off = 0; off < size; off += PAGE)
        heap[off] = (uint8_t)(off / PAGE + 1);
    for (size_t off = 0; off < size; off += PAGE)
        if (heap[off] != (uint8_t)(off / PAGE + 1))
            return guest_failure("a page lost its contents");
    guest_puts("filled ");
    guest_put_dec(size >> 20);
    guest_puts(" MiB\n");
    return guest_success();
}
