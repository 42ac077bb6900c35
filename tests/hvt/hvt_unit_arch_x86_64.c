/*
 * hvt_unit_arch_x86_64.c: hvt_unit_check's architecture requests on x86_64.
 *
 *   insn HEXBYTES -> "fpu" or "other": hvt_insn_is_fpu() on the bytes
 *       (tenders/hvt/hvt_insn_x86_64.c).
 *   pt MEM_MIB NX [r|x START END]... -> "ok RUN..." or "err MESSAGE":
 *       hvt_cpu_page_tables() for MEM_MIB of guest memory with the given
 *       read-only (r) and read-only executable (x) ranges, NX 0 or 1 (the
 *       vCPU has NX), at CPL3 (U bits); then every 4 KiB page as a CPU
 *       would see it, walking the tables from CR3 = 0x2000 (ref §2.2), in
 *       runs "START-END:FLAGS" of equal FLAGS: "-" for absent, else w or r,
 *       then x or n (NX), then u if user-accessible, a if the leaf entry is
 *       accessed, d if dirty, H if the host mapping is read-only too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "hvt_cpu_x86_64.h"

#define CR3 0x2000ULL
#define ADDR_MASK 0x000ffffffffff000ULL
#define E_P 0x1ULL
#define E_RW 0x2ULL
#define E_US 0x4ULL
#define E_A 0x20ULL
#define E_D 0x40ULL
#define E_PS 0x80ULL
#define E_NX (1ULL << 63)

void check_insn(const char *hex);
void check_pt(char *rest);

void check_insn(const char *hex)
{
    uint8_t insn[16];
    size_t n = 0;
    unsigned b;

    while (n < sizeof(insn) && sscanf(hex + 2 * n, "%2x", &b) == 1)
        insn[n++] = (uint8_t)b;
    puts(hvt_insn_is_fpu(insn, n) ? "fpu" : "other");
}

/* The leaf entry for addr, with *and_bits the AND of every level's entry
 * and *or_bits their OR; 0 if a level is absent. */
static uint64_t walk(const uint8_t *mem, uint64_t addr, uint64_t *and_bits,
        uint64_t *or_bits)
{
    uint64_t table = CR3, e = 0;

    *and_bits = ~0ULL;
    *or_bits = 0;
    for (int shift = 39; shift >= 12; shift -= 9) {
        e = ((const uint64_t *)(mem + table))[(addr >> shift) & 511];
        if (!(e & E_P))
            return 0;
        *and_bits &= e;
        *or_bits |= e;
        if (shift == 21 && (e & E_PS))
            break;
        table = e & ADDR_MASK;
    }
    return e;
}

/* The host's read-only ranges within [lo, hi), from /proc/self/maps. */
struct host_ro {
    uintptr_t lo[64], hi[64];
    unsigned n;
};

static void host_ro_read(struct host_ro *ro, uintptr_t lo, uintptr_t hi)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char perms[8];
    uintptr_t a, b;

    ro->n = 0;
    while (f != NULL && ro->n < 64 && fscanf(f, "%" SCNxPTR "-%" SCNxPTR
                " %7s%*[^\n]", &a, &b, perms) == 3)
        if (a < hi && b > lo && perms[1] != 'w') {
            ro->lo[ro->n] = a;
            ro->hi[ro->n++] = b;
        }
    if (f != NULL)
        fclose(f);
}

static bool host_ro_has(const struct host_ro *ro, uintptr_t p)
{
    for (unsigned i = 0; i < ro->n; i++)
        if (p >= ro->lo[i] && p < ro->hi[i])
            return true;
    return false;
}

static void page_flags(const struct hvt *h, const struct host_ro *ro,
        uint64_t addr, char *out)
{
    uint64_t and_bits, or_bits, leaf = walk(h->mem, addr, &and_bits, &or_bits);

    if (leaf == 0) {
        strcpy(out, "-");
        return;
    }
    out += sprintf(out, "%c%c", (and_bits & E_RW) ? 'w' : 'r',
            (or_bits & E_NX) ? 'n' : 'x');
    if (and_bits & E_US)
        *out++ = 'u';
    if (leaf & E_A)
        *out++ = 'a';
    if (leaf & E_D)
        *out++ = 'd';
    if (host_ro_has(ro, (uintptr_t)(h->mem + addr)))
        *out++ = 'H';
    *out = '\0';
}

/* "r START END" or "x START END" into h's ranges; false if malformed. */
static bool parse_ranges(struct hvt *h, char *rest)
{
    char kind[2];
    uint64_t start, end;
    int used;

    while (sscanf(rest, " %1s %" SCNu64 " %" SCNu64 "%n", kind, &start, &end,
                &used) == 3) {
        if (h->n_ro == HVT_RO_MAX || (kind[0] != 'r' && kind[0] != 'x'))
            return false;
        h->ro[h->n_ro++] = (struct hvt_range){ start, end };
        if (kind[0] == 'x')
            h->x[h->n_x++] = (struct hvt_range){ start, end };
        rest += used;
    }
    return true;
}

/* Every page's flags, in runs of equal flags. */
static void print_runs(const struct hvt *h)
{
    struct host_ro ro;
    char run[16] = "", now[16];
    uint64_t start = 0;

    host_ro_read(&ro, (uintptr_t)h->mem, (uintptr_t)(h->mem + h->mem_size));
    fputs("ok", stdout);
    for (uint64_t a = 0; a <= h->mem_size; a += 4096) {
        if (a < h->mem_size)
            page_flags(h, &ro, a, now);
        if (a == h->mem_size || (a > 0 && strcmp(now, run) != 0)) {
            printf(" %" PRIu64 "-%" PRIu64 ":%s", start, a, run);
            start = a;
        }
        strcpy(run, now);
    }
    putchar('\n');
}

void check_pt(char *rest)
{
    struct hvt h = { .user_mode = true };
    struct tender_err err;
    uint64_t mib;
    int nx, used;

    if (sscanf(rest, "%" SCNu64 " %d%n", &mib, &nx, &used) != 2 ||
            !parse_ranges(&h, rest + used)) {
        puts("bad request");
        return;
    }
    h.mem_size = mib << 20;
    h.mem = mmap(NULL, h.mem_size, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h.mem == MAP_FAILED) {
        puts("err mmap");
        return;
    }
    if (hvt_cpu_page_tables(&h, nx != 0, &err) != 0)
        printf("err %s\n", err.msg);
    else
        print_runs(&h);
    munmap(h.mem, h.mem_size);
}
