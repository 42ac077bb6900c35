/*
 * hvt_user_start_x86_64.c: starting a guest at CPL3 (solo5-hvt only).
 *
 * Our bindings begin at their ELF entry point with a `jmp` over a user-start
 * header (include/solo5/hvt_abi.h, struct hvt_user_start): where their GDT,
 * IDT and TSS are and where to enter at CPL3.  When the tender offers user
 * mode and finds the header, it loads those tables into the vCPU itself and
 * starts the guest there, so that the guest runs no CPL0 instruction at
 * boot: kvm-pvm emulates every one (lgdt, the far return, ltr, lidt, CPUID,
 * CR4, iretq: ~150 us of a 3.2 ms start, docs/performance.md, Round 6).
 * Guests without the header (upstream's, or ours built to use no feature)
 * start at e_entry at CPL0 as before; solo5-hvt-debug always starts them
 * there, so that a breakpoint on _start is hit.
 *
 * The tender never reads the tables: it only loads registers, and a guest
 * that lies about them only breaks itself.  The header is still checked
 * (inside guest memory, limits that hold the selectors the contract
 * names), so that a broken one is an error naming it rather than a triple
 * fault.
 */
#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>

#include "hvt.h"
#include "hvt_cpu_x86_64.h"
#include "hvt_user_start_x86_64.h"

#define TSS_MIN_LIMIT 0x67          /* the 104-byte 64-bit TSS */
#define SEG_CODE_EXEC_READ_ACCESSED 11
#define SEG_DATA_RW_ACCESSED 3
#define SEG_TSS_BUSY 11
#define CR4_FSGSBASE (1ULL << 16)

bool hvt_user_start_find(const struct hvt *h, uint64_t entry,
        struct hvt_user_start *hdr)
{
    struct tender_err ignored;
    const void *p;

    if (entry > UINT64_MAX - HVT_USER_START_OFFSET)
        return false;
    p = hvt_gpa(h, entry + HVT_USER_START_OFFSET, sizeof(*hdr), HVT_READ,
            &ignored);
    if (p == NULL)
        return false;
    memcpy(hdr, p, sizeof(*hdr));
    return hdr->magic == HVT_USER_START_MAGIC;
}

static bool in_guest(const struct hvt *h, uint64_t base, uint64_t limit)
{
    struct tender_err ignored;

    return hvt_gpa(h, base, limit + 1, HVT_READ, &ignored) != NULL;
}

int hvt_user_start_check(const struct hvt *h,
        const struct hvt_user_start *hdr, struct tender_err *err)
{
    const char *what = NULL;

    if (!in_guest(h, hdr->entry, 0))
        what = "entry";
    else if (hdr->gdt_limit < HVT_USER_START_SEL_TSS + 15 ||
            !in_guest(h, hdr->gdt_base, hdr->gdt_limit))
        what = "GDT";
    else if (!in_guest(h, hdr->idt_base, hdr->idt_limit))
        what = "IDT";
    else if (hdr->tss_limit < TSS_MIN_LIMIT ||
            !in_guest(h, hdr->tss_base, hdr->tss_limit))
        what = "TSS";
    else if (hdr->reserved != 0)
        what = "reserved field";
    if (what == NULL)
        return 0;
    return tender_err_set(err, "the guest's user-start header has a bad %s "
            "(entry=0x%" PRIx64 " gdt=0x%" PRIx64 "/0x%x idt=0x%" PRIx64
            "/0x%x tss=0x%" PRIx64 "/0x%x)", what, hdr->entry,
            hdr->gdt_base, hdr->gdt_limit, hdr->idt_base, hdr->idt_limit,
            hdr->tss_base, hdr->tss_limit);
}

void hvt_user_start_sregs(struct kvm_sregs *s,
        const struct hvt_user_start *hdr, bool fsgsbase)
{
    struct kvm_segment data = hvt_cpu_segment(HVT_USER_START_SEL_DATA,
            SEG_DATA_RW_ACCESSED, 0, 1, 3);

    s->cs = hvt_cpu_segment(HVT_USER_START_SEL_CODE,
            SEG_CODE_EXEC_READ_ACCESSED, 1, 0, 3);
    s->ds = s->es = s->fs = s->gs = s->ss = data;
    s->tr = (struct kvm_segment){
        .base = hdr->tss_base, .limit = hdr->tss_limit,
        .selector = HVT_USER_START_SEL_TSS, .type = SEG_TSS_BUSY,
        .present = 1,
    };
    s->gdt.base = hdr->gdt_base;
    s->gdt.limit = hdr->gdt_limit;
    s->idt.base = hdr->idt_base;
    s->idt.limit = hdr->idt_limit;
    if (fsgsbase)
        s->cr4 |= CR4_FSGSBASE;
}
