/*
 * test_hostile (hvt only): issues raw hypercalls that a correct guest never
 * would, one per run, chosen by the command line.  Every case except "ok"
 * must end the guest with tender status 1 and a message naming the fault;
 * none may crash the tender or make it touch memory outside the guest.
 *
 *   ok        a valid WALLTIME by hand, then SUCCESS (the control case)
 *   port      OUT to port 0x4ff (below the hypercall ports)
 *   in        IN from a hypercall port
 *   byte      8-bit OUT to a hypercall port
 *   num0      hypercall number 0 (reserved)
 *   num9      hypercall number 9 (one past the last)
 *   block     BLOCK_WRITE without a block device (not registered)
 *   argpast   argument struct past the end of guest memory
 *   argro     WALLTIME result into .rodata (read-only to the tender too)
 *   arglow    WALLTIME result into the boot info (read-only to the guest)
 *   ptrpast   PUTS of a buffer that starts past the end of guest memory
 *   wrap      PUTS whose address + length wraps around 2^64
 *   lenpast   PUTS whose length runs past the end of guest memory
 *   cookie    HALT with a cookie whose 512 bytes end past guest memory
 */
#include "guest.h"
#include "hvt_abi.h"

static const struct hvt_hc_walltime rodata_walltime = { 1 };

static void out32(uint16_t port, uint32_t value)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(value), "d"(port) : "memory");
}

static void out8(uint16_t port, uint8_t value)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(value), "d"(port) : "memory");
}

static uint32_t in32(uint16_t port)
{
    uint32_t value;

    __asm__ __volatile__("inl %1, %0" : "=a"(value) : "d"(port) : "memory");
    return value;
}

static void hypercall(unsigned nr, uint64_t gpa)
{
    out32((uint16_t)HVT_HYPERCALL_ADDRESS(nr), (uint32_t)gpa);
}

static uint64_t mem_size(void)
{
    const volatile struct hvt_boot_info *bi =
        (const volatile struct hvt_boot_info *)guest_launder(HVT_BOOT_INFO_BASE);

    return bi->mem_size;
}

static void puts_raw(uint64_t data, uint64_t len)
{
    volatile struct hvt_hc_puts a;

    a.data = (const char *)data;
    a.len = len;
    hypercall(HVT_HYPERCALL_PUTS, (uintptr_t)&a);
}

static int check_ok(void)
{
    volatile struct hvt_hc_walltime a;

    a.nsecs = 0;
    hypercall(HVT_HYPERCALL_WALLTIME, (uintptr_t)&a);
    /* 2017-01-01 in ns: any sane host clock is later. */
    if (a.nsecs < 1483228800ULL * 1000000000ULL)
        return guest_failure("raw WALLTIME returned no time");
    return guest_success();
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *c = si->cmdline;
    uint64_t end = mem_size();

    guest_banner("test_hostile");
    if (strcmp(c, "ok") == 0)
        return check_ok();
    guest_puts("issuing the hostile request\n");
    if (strcmp(c, "port") == 0)
        out32(HVT_HYPERCALL_PIO_BASE - 1, 0);
    else if (strcmp(c, "in") == 0)
        (void)in32(HVT_HYPERCALL_ADDRESS(HVT_HYPERCALL_PUTS));
    else if (strcmp(c, "byte") == 0)
        out8(HVT_HYPERCALL_ADDRESS(HVT_HYPERCALL_PUTS), 0);
    else if (strcmp(c, "num0") == 0)
        hypercall(0, 0);
    else if (strcmp(c, "num9") == 0)
        hypercall(HVT_HYPERCALL_MAX, 0);
    else if (strcmp(c, "block") == 0)
        hypercall(HVT_HYPERCALL_BLOCK_WRITE, HVT_GUEST_MIN_BASE);
    else if (strcmp(c, "argpast") == 0)
        hypercall(HVT_HYPERCALL_WALLTIME, end);
    else if (strcmp(c, "argro") == 0)
        hypercall(HVT_HYPERCALL_WALLTIME,
                guest_launder((uintptr_t)&rodata_walltime));
    else if (strcmp(c, "arglow") == 0)
        hypercall(HVT_HYPERCALL_WALLTIME, HVT_BOOT_INFO_BASE);
    else if (strcmp(c, "ptrpast") == 0)
        puts_raw(end + 0x1000, 1);
    else if (strcmp(c, "wrap") == 0)
        puts_raw(HVT_GUEST_MIN_BASE, 0 - (uint64_t)HVT_GUEST_MIN_BASE + 16);
    else if (strcmp(c, "lenpast") == 0)
        puts_raw(si->heap_start, end - si->heap_start + 1);
    else if (strcmp(c, "cookie") == 0) {
        volatile struct hvt_hc_halt a;

        a.cookie = (void *)(end - HVT_HALT_COOKIE_MAX + 1);
        a.exit_status = 0;
        hypercall(HVT_HYPERCALL_HALT, (uintptr_t)&a);
    } else
        return guest_failure("unknown case");
    return guest_failure("the tender resumed the guest");
}
