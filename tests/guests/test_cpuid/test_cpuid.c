/*
 * test_cpuid (hvt): prints the CPU a guest sees, one line per leaf and
 * subleaf, "cpuid LEAF SUBLEAF EAX EBX ECX EDX" in hexadecimal: the basic
 * leaves up to leaf 0's maximum (leaf 4's subleafs until the null cache
 * type, leaf 7's up to its maximum, leaf 0xD's 0-63), the hypervisor
 * leaves up to 0x40000000's maximum and the extended ones up to
 * 0x80000000's.  Then SUCCESS.  tests/hvt/test_hvt_cpuid.py compares the
 * lines with the tender's allowlist (tenders/hvt/hvt_cpuid_x86_64.c).
 */
#include "guest.h"

#define LEAF_CACHE 0x4U
#define LEAF_EXTENDED_FEATURES 0x7U
#define LEAF_XSAVE 0xdU
#define XSAVE_SUBLEAFS 64U
#define CACHE_SUBLEAFS_MAX 16U

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(leaf), "c"(sub));
}

static void put_hex32(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char s[9];

    for (int i = 0; i < 8; i++)
        s[i] = digits[(v >> (28 - 4 * i)) & 0xf];
    s[8] = '\0';
    guest_puts(s);
}

static void print_leaf(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    cpuid(leaf, sub, r);
    guest_puts("cpuid ");
    put_hex32(leaf);
    guest_puts(" ");
    put_hex32(sub);
    for (int i = 0; i < 4; i++) {
        guest_puts(" ");
        put_hex32(r[i]);
    }
    guest_puts("\n");
}

static void print_range(uint32_t first)
{
    uint32_t r[4], max;

    cpuid(first, 0, r);
    max = r[0];
    for (uint32_t leaf = first; leaf <= max && leaf - first < 0x100; leaf++) {
        uint32_t subs = 1;

        if (leaf == LEAF_XSAVE)
            subs = XSAVE_SUBLEAFS;
        else if (leaf == LEAF_EXTENDED_FEATURES) {
            cpuid(leaf, 0, r);
            subs = r[0] + 1;
        }
        for (uint32_t sub = 0; sub < subs; sub++)
            print_leaf(leaf, sub, r);
        /* Cache leaf: subleafs until the null type (EAX[4:0] == 0). */
        for (uint32_t sub = 1; leaf == LEAF_CACHE && sub < CACHE_SUBLEAFS_MAX; sub++) {
            print_leaf(leaf, sub, r);
            if ((r[0] & 0x1f) == 0)
                break;
        }
    }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_cpuid");
    print_range(0);
    print_range(0x40000000);
    print_range(0x80000000);
    return guest_success();
}
