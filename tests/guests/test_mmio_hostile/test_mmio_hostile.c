/*
 * test_mmio_hostile (hvt on aarch64 only): accesses to the hypercall MMIO
 * window that a correct guest never makes, one per run, chosen by the
 * command line.  Every case except "ok" must end the guest with tender
 * status 1 and a message naming the fault.
 *
 *   ok          a valid WALLTIME by hand, then SUCCESS (the control case)
 *   read        a 32-bit load from a hypercall address
 *   byte        an 8-bit store to a hypercall address
 *   wide        a 64-bit store to a hypercall address
 *   unaligned   a 32-bit store 4 bytes into a hypercall's 8-byte slot
 *   num0        hypercall number 0 (reserved)
 *   num9        hypercall number 9 (one past the last)
 *   beyond      a store past the hypercall slots, inside the window
 *   argpast     WALLTIME whose argument lies past the end of guest memory
 *   kick        a ring kick when the tender offers no rings
 */
#include "guest.h"
#include "hvt_abi.h"

static void store32(uint64_t addr, uint32_t value)
{
    __asm__ __volatile__("str %w0, [%1]" : : "r"(value), "r"(addr) : "memory");
}

static void hypercall(unsigned nr, uint64_t gpa)
{
    store32(HVT_HYPERCALL_MMIO_ADDRESS(nr), (uint32_t)gpa);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *c = si->cmdline;
    uint64_t walltime = HVT_HYPERCALL_MMIO_ADDRESS(HVT_HYPERCALL_WALLTIME);
    struct hvt_hc_walltime wt = { 0 };
    uint32_t value;

    guest_banner("test_mmio_hostile");
    if (strcmp(c, "ok") == 0) {
        hypercall(HVT_HYPERCALL_WALLTIME, (uintptr_t)&wt);
        return wt.nsecs != 0 ? guest_success() : guest_failure("WALLTIME gave 0");
    } else if (strcmp(c, "read") == 0) {
        __asm__ __volatile__("ldr %w0, [%1]" : "=r"(value) : "r"(walltime) : "memory");
    } else if (strcmp(c, "byte") == 0) {
        __asm__ __volatile__("strb %w0, [%1]" : : "r"(0), "r"(walltime) : "memory");
    } else if (strcmp(c, "wide") == 0) {
        __asm__ __volatile__("str %0, [%1]" : : "r"((uint64_t)(uintptr_t)&wt), "r"(walltime)
                             : "memory");
    } else if (strcmp(c, "unaligned") == 0) {
        store32(walltime + 4, (uint32_t)(uintptr_t)&wt);
    } else if (strcmp(c, "num0") == 0) {
        hypercall(0, (uintptr_t)&wt);
    } else if (strcmp(c, "num9") == 0) {
        hypercall(HVT_HYPERCALL_MAX, (uintptr_t)&wt);
    } else if (strcmp(c, "beyond") == 0) {
        store32(HVT_MMIO_BASE + HVT_MMIO_SIZE / 2, 0);
    } else if (strcmp(c, "argpast") == 0) {
        hypercall(HVT_HYPERCALL_WALLTIME, si->heap_start + si->heap_size + 0x100000);
    } else if (strcmp(c, "kick") == 0) {
        store32(HVT_RING_KICK_MMIO, 0);
    } else {
        return guest_failure("usage: ok|read|byte|wide|unaligned|num0|num9|beyond|argpast|kick");
    }
    return guest_failure("the tender let the guest go on");
}
