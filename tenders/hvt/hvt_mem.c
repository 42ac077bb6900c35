/*
 * hvt_mem.c: guest memory: its size, its host mapping, the read-only
 * segments, and hvt_gpa(), the one check of guest pointers.
 *
 * The mapping is private, anonymous and lazily faulted: nothing is zeroed
 * or populated up front, only pages the tender writes (page tables, boot
 * info, ELF segments) or the guest touches are ever backed (on kvm-pvm
 * populating 512 MiB costs hundreds of milliseconds; docs/kvm-pvm.md §5).
 * Between the first and the last 2 MiB it asks for transparent huge pages
 * (hvt_mem_huge()); with --hugepages it comes from the host's hugetlb pool
 * instead.  The huge pages the ELF image reaches into, which its loading
 * would fault in anyway, are faulted in ahead on a helper thread
 * (hvt_mem_prefault.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hvt.h"

int hvt_mem_round(uint64_t mib, uint64_t *bytes, bool *adjusted,
        struct tender_err *err)
{
    uint64_t want, mem;

    /* mib is at most UINT64_MAX >> 20 (tender_parse_mem): no overflow. */
    want = mib << 20;
    mem = want & ~(HVT_MEM_ALIGN - 1);
    if (mem > HVT_MEM_MAX)
        return tender_err_set(err, "guest memory size %llu bytes exceeds "
                "the max size %llu bytes", (unsigned long long)mem,
                (unsigned long long)HVT_MEM_MAX);
    if (mem < HVT_MEM_MIN)
        return tender_err_set(err, "guest memory size %llu bytes is below "
                "the min size %llu bytes (--mem=%llu)",
                (unsigned long long)want, (unsigned long long)HVT_MEM_MIN,
                (unsigned long long)(HVT_MEM_MIN >> 20));
    *bytes = mem;
    *adjusted = mem != want;
    return 0;
}

int hvt_mem_size(uint64_t mib, uint64_t *bytes, struct tender_err *err)
{
    bool adjusted;

    return hvt_mem_round(mib, bytes, &adjusted, err);
}

/*
 * Guest memory at a 2 MiB-aligned host address, so that a guest 2 MiB page
 * can be one host huge page.
 */
static void *hvt_mem_map(uint64_t bytes)
{
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    uint64_t head;

    if (p == MAP_FAILED || ((uintptr_t)p & (HVT_MEM_ALIGN - 1)) == 0)
        return p;
    munmap(p, bytes);
    p = mmap(NULL, bytes + HVT_MEM_ALIGN, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED)
        return p;
    head = HVT_MEM_ALIGN - ((uintptr_t)p & (HVT_MEM_ALIGN - 1));
    munmap(p, head);
    munmap(p + head + bytes, HVT_MEM_ALIGN - head);
    return p + head;
}

/*
 * Transparent huge pages for guest memory, except its first 2 MiB (page
 * tables, boot info, the start of the kernel: the tender writes them at
 * every start, and a huge page would be zeroed whole first) and its last
 * (the boot stack, touched at every start).  On kvm-pvm, KVM's shadow
 * paging makes the first guest touch of every 4 KiB page a fault costing
 * ~25 us of CPU; with a huge host page behind one of the guest's 2 MiB
 * pages, KVM maps all 2 MiB at the first touch (docs/performance.md,
 * "First touch").  The guest's TLB reach grows alike.  Advice only: on a
 * host without THP nothing changes.
 */
static void hvt_mem_huge(uint8_t *p, uint64_t bytes)
{
    if (bytes > 2 * HVT_MEM_ALIGN)
        (void)madvise(p + HVT_MEM_ALIGN, bytes - 2 * HVT_MEM_ALIGN,
                MADV_HUGEPAGE);
}

/*
 * --hugepages: the host's pool of 2 MiB pages (hvt_options.c).  Mapped
 * without MAP_NORESERVE, so the pool must hold all of guest memory now:
 * a guest never finds it short later (hugetlb has no fallback but SIGBUS).
 */
static void *hvt_mem_map_hugetlb(uint64_t bytes, struct tender_err *err)
{
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
        (21 << MAP_HUGE_SHIFT);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);

    if (p == MAP_FAILED)
        tender_err_set(err, "--hugepages: could not map %llu bytes of guest "
                "memory from the pool of 2 MiB huge pages: %s (it needs "
                "%llu free pages: see vm.nr_hugepages, HugePages_Free in "
                "/proc/meminfo)", (unsigned long long)bytes,
                strerror(errno), (unsigned long long)(bytes / HVT_MEM_ALIGN));
    return p;
}

static void *hvt_mem_map_anon(uint64_t bytes, struct tender_err *err)
{
    void *p = hvt_mem_map(bytes);

    if (p == MAP_FAILED)
        tender_err_set(err, "Could not allocate %llu bytes of guest "
                "memory: %s", (unsigned long long)bytes, strerror(errno));
    else
        hvt_mem_huge(p, bytes);
    return p;
}

int hvt_mem_setup(struct tender *t, uint64_t bytes, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct tender_err ignored;
    uint64_t check, kernel_end;
    bool adjusted;
    void *p;

    /* Only for the warning: the size itself was settled by hvt_mem_size. */
    if (hvt_mem_round(t->mem_mib, &check, &adjusted, err) == 0 && adjusted)
        tender_warn(t, "adjusting memory to %llu bytes",
                (unsigned long long)bytes);
    if (h->hugepages)
        p = hvt_mem_map_hugetlb(bytes, err);
    else
        p = hvt_mem_map_anon(bytes, err);
    if (p == MAP_FAILED)
        return -1;
    h->mem = p;
    h->mem_size = bytes;
    t->mem.host = p;
    t->mem.base = 0;
    t->mem.size = bytes;
    t->mem.min_load = HVT_GUEST_MIN_BASE;
    /* Where the image will end.  An image the loader will refuse gets no
     * prefault and one slot: the start ends at the loader's error. */
    if (tender_elf_check(&t->elf, &t->mem, &kernel_end, &ignored) == 0) {
        hvt_mem_prefault_start(h, kernel_end);
        hvt_kvm_slot_plan(h, kernel_end);
    }
    return hvt_kvm_init(h, err);
}

/*
 * Read-only and executable segments are recorded: hypercalls may not write
 * into the first on the guest's behalf (hvt_gpa()), and the guest's page
 * tables make them read-only and everything but the second no-execute
 * (hvt_cpu_<arch>.c).  Where those tables cannot be trusted to do it alone
 * (!hvt_cpu_maps_read_only), the host maps the read-only ones read-only as
 * well.  Where they can (x86_64), the host mapping stays writable: KVM then
 * maps up to 8 guest pages per fault and keeps huge pages across segment
 * boundaries, where a read-only host page costs one fault per 4 KiB page
 * (~23 us each on kvm-pvm; docs/performance.md, "Round 4").  Guest X never
 * becomes host X: KVM needs the host mapping readable only.
 */
int hvt_protect(void *ctx, uint64_t gpa, uint64_t size, uint32_t pf_flags,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(ctx);

    if (pf_flags & PF_W)
        return 0;
    if (h->n_ro == HVT_RO_MAX)
        return tender_err_set(err, "more than %d read-only segments",
                HVT_RO_MAX);
    h->ro[h->n_ro++] = (struct hvt_range){ gpa, gpa + size };
    /* The ELF loader refuses W+X, so n_x <= n_ro <= HVT_RO_MAX. */
    if (pf_flags & PF_X)
        h->x[h->n_x++] = (struct hvt_range){ gpa, gpa + size };
    return hvt_cpu_maps_read_only ? 0 : hvt_mem_host_ro(h, gpa, size, err);
}

int hvt_mem_host_ro(struct hvt *h, uint64_t gpa, uint64_t size,
        struct tender_err *err)
{
    if (h->hugepages)
        return tender_err_set(err, "--hugepages: guest [%#llx, +%#llx) "
                "must be read-only, and the host cannot protect part of a "
                "huge page (more 2 MiB pages mix permissions than the "
                "guest's page tables have room for)",
                (unsigned long long)gpa, (unsigned long long)size);
    if (mprotect(h->mem + gpa, size, PROT_READ) != 0)
        return tender_err_set(err, "mprotect of guest [%#llx, +%#llx) "
                "failed: %s", (unsigned long long)gpa,
                (unsigned long long)size, strerror(errno));
    return 0;
}

bool hvt_ranges_hold(const struct hvt_range *r, unsigned n, uint64_t addr)
{
    for (unsigned i = 0; i < n; i++)
        if (addr >= r[i].start && addr < r[i].end)
            return true;
    return false;
}

void *hvt_gpa(const struct hvt *h, uint64_t gpa, uint64_t len,
        enum hvt_access access, struct tender_err *err)
{
    /* Written as subtractions so that no sum can wrap. */
    bool ok = gpa <= h->mem_size && len <= h->mem_size - gpa;

    if (ok && access == HVT_WRITE) {
        /* Below the kernel are page tables and the read-only boot info. */
        ok = gpa >= HVT_GUEST_MIN_BASE;
        for (unsigned i = 0; ok && len > 0 && i < h->n_ro; i++) {
            const struct hvt_range *r = &h->ro[i];

            /* [gpa, gpa + len) meets [start, end), without computing sums. */
            if (gpa < r->end && (r->start <= gpa || r->start - gpa < len))
                ok = false;
        }
    }
    if (!ok) {
        tender_err_set(err, "Invalid guest access: gpa=0x%llx, sz=%llu",
                (unsigned long long)gpa, (unsigned long long)len);
        return NULL;
    }
    return h->mem + gpa;
}
