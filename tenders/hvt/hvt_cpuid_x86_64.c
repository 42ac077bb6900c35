/*
 * hvt_cpuid_x86_64.c: a minimal CPU for hvt guests (upstream issue #610).
 *
 * Upstream passes KVM's whole supported CPUID to the guest: VMX/SVM
 * (nested virtualisation, the path of past guest-to-host escapes), SGX,
 * MONITOR/MWAIT, performance counters, the speculation-control MSRs, KVM's
 * paravirtual MSR interfaces.  A unikernel needs none of them: it needs
 * what the bindings and the common compilers' and libraries' run-time
 * checks read (SIMD levels, bit manipulation, crypto instructions,
 * RDRAND/RDSEED, TSC facts, cache geometry, the hypervisor signature).
 * So the guest sees only the leaves below, each register as its rule says,
 * and of feature registers only the bits listed in hvt_cpuid_bits[]; all of
 * it ANDed with what KVM supports, so a feature the host lacks stays off.
 * Leaves not listed read as zero.  No option widens it: a unikernel that
 * needs more gets it by a change to this table (and its test).
 *
 * XSAVE and the AVX families are passed as the hardware has them; the
 * tender does not enable them (CR4.OSXSAVE, XCR0): an OS does, and our
 * bindings do not, so OSXSAVE reads 0 and compilers' run-time checks find
 * no AVX.  A guest at CPL0 may enable them; KVM then keeps XCR0 within
 * leaf 0xD's components, x87/SSE/AVX/AVX-512 only (no AMX, PKRU, MPX).
 * FSGSBASE is passed: our bindings enable it to set the TLS base at CPL3.
 */
#include <string.h>

#include "hvt.h"
#include "hvt_cpuid_x86_64.h"

#define EAX 0
#define EBX 1
#define ECX 2
#define EDX 3

#define NONE HVT_CPUID_NONE
#define BITS HVT_CPUID_BITS
#define WHOLE HVT_CPUID_WHOLE
#define MASK HVT_CPUID_MASK
#define CAP HVT_CPUID_CAP
#define XSAVE_MAX HVT_CPUID_XSAVE_MAX
#define ANY HVT_CPUID_ANY_INDEX

#define LEAF_XSAVE 0xdU
#define XSAVE_LEGACY_AND_HEADER 576U

const struct hvt_cpuid_leaf hvt_cpuid_leaves[] = {
    { 0x0, 0, { CAP, WHOLE, WHOLE, WHOLE }, 0x16,
        "highest basic leaf (at most 0x16); vendor" },
    { 0x1, 0, { WHOLE, MASK, BITS, BITS }, 0x0000ffff,
        "family/model/stepping; brand index and CLFLUSH size (no thread "
        "count, APIC ID); features" },
    { 0x2, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0,
        "cache and TLB descriptors" },
    { 0x4, ANY, { MASK, WHOLE, WHOLE, WHOLE }, 0x00003fff,
        "cache parameters (no core or thread counts)" },
    { 0x7, 0, { CAP, BITS, BITS, BITS }, 1,
        "extended features (subleafs 0 and 1)" },
    { 0x7, 1, { BITS, NONE, NONE, NONE }, 0,
        "extended features, subleaf 1" },
    { LEAF_XSAVE, 0, { BITS, WHOLE, XSAVE_MAX, NONE }, 0,
        "XSAVE components a guest may enable; area sizes (EBX follows "
        "the guest's XCR0)" },
    { LEAF_XSAVE, 1, { BITS, WHOLE, NONE, NONE }, 0,
        "XSAVE instructions (no XSAVES, no XFD)" },
    { LEAF_XSAVE, ANY, { WHOLE, WHOLE, WHOLE, WHOLE }, 0,
        "size and offset of each allowed XSAVE component" },
    { 0x15, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0,
        "TSC / crystal clock ratio" },
    { 0x16, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0,
        "processor base, maximum and bus frequencies" },
    { 0x40000000, 0, { CAP, WHOLE, WHOLE, WHOLE }, 0x40000000,
        "hypervisor signature; no paravirtual feature leaves" },
    { 0x80000000, 0, { CAP, WHOLE, WHOLE, WHOLE }, 0x80000008,
        "highest extended leaf (at most 0x80000008)" },
    { 0x80000001, 0, { WHOLE, NONE, BITS, BITS }, 0,
        "extended signature; extended features" },
    { 0x80000002, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0, "brand string" },
    { 0x80000003, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0, "brand string" },
    { 0x80000004, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0, "brand string" },
    { 0x80000005, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0,
        "L1 cache and TLB (AMD)" },
    { 0x80000006, 0, { WHOLE, WHOLE, WHOLE, WHOLE }, 0, "L2/L3 cache" },
    { 0x80000007, 0, { NONE, NONE, NONE, BITS }, 0, "invariant TSC" },
    { 0x80000008, 0, { WHOLE, NONE, NONE, NONE }, 0,
        "address sizes (no core count, no speculation controls)" },
};
const size_t hvt_cpuid_n_leaves =
    sizeof(hvt_cpuid_leaves) / sizeof(hvt_cpuid_leaves[0]);

/* The feature bits of BITS registers that a guest may see.  Everything
 * else is hidden: among others VMX (1.ECX.5), SMX, MONITOR (1.ECX.3), PDCM,
 * PCID, x2APIC and TSC-deadline (no interrupts), the APIC, MCE/MCA, MTRR,
 * DS/PEBS, SGX (7.EBX.2), HLE/RTM, SMEP/SMAP, INVPCID, MPX, PT, RDT, UMIP,
 * PKU, WAITPKG, CET, LA57, RDPID, KL, ENQCMD, AMX, the speculation-control
 * MSRs (7.EDX.26-31), XSAVES/XFD, SVM (0x80000001.ECX.2), SKINIT, LWP,
 * IBS, the performance counters and MONITORX. */
const struct hvt_cpuid_bit hvt_cpuid_bits[] = {
    { 0x1, 0, ECX, 0, "SSE3" },
    { 0x1, 0, ECX, 1, "PCLMULQDQ" },
    { 0x1, 0, ECX, 9, "SSSE3" },
    { 0x1, 0, ECX, 12, "FMA" },
    { 0x1, 0, ECX, 13, "CX16" },
    { 0x1, 0, ECX, 19, "SSE4.1" },
    { 0x1, 0, ECX, 20, "SSE4.2" },
    { 0x1, 0, ECX, 22, "MOVBE" },
    { 0x1, 0, ECX, 23, "POPCNT" },
    { 0x1, 0, ECX, 25, "AES" },
    { 0x1, 0, ECX, 26, "XSAVE" },
    { 0x1, 0, ECX, 27, "OSXSAVE" },
    { 0x1, 0, ECX, 28, "AVX" },
    { 0x1, 0, ECX, 29, "F16C" },
    { 0x1, 0, ECX, 30, "RDRAND" },
    { 0x1, 0, ECX, 31, "HYPERVISOR" },
    { 0x1, 0, EDX, 0, "FPU" },
    { 0x1, 0, EDX, 3, "PSE" },
    { 0x1, 0, EDX, 4, "TSC" },
    { 0x1, 0, EDX, 5, "MSR" },
    { 0x1, 0, EDX, 6, "PAE" },
    { 0x1, 0, EDX, 8, "CX8" },
    { 0x1, 0, EDX, 13, "PGE" },
    { 0x1, 0, EDX, 15, "CMOV" },
    { 0x1, 0, EDX, 16, "PAT" },
    { 0x1, 0, EDX, 19, "CLFSH" },
    { 0x1, 0, EDX, 23, "MMX" },
    { 0x1, 0, EDX, 24, "FXSR" },
    { 0x1, 0, EDX, 25, "SSE" },
    { 0x1, 0, EDX, 26, "SSE2" },
    { 0x7, 0, EBX, 0, "FSGSBASE" },
    { 0x7, 0, EBX, 3, "BMI1" },
    { 0x7, 0, EBX, 5, "AVX2" },
    { 0x7, 0, EBX, 6, "FDP_EXCPTN_ONLY" },
    { 0x7, 0, EBX, 8, "BMI2" },
    { 0x7, 0, EBX, 9, "ERMS" },
    { 0x7, 0, EBX, 13, "ZERO_FCS_FDS" },
    { 0x7, 0, EBX, 16, "AVX512F" },
    { 0x7, 0, EBX, 17, "AVX512DQ" },
    { 0x7, 0, EBX, 18, "RDSEED" },
    { 0x7, 0, EBX, 19, "ADX" },
    { 0x7, 0, EBX, 21, "AVX512_IFMA" },
    { 0x7, 0, EBX, 23, "CLFLUSHOPT" },
    { 0x7, 0, EBX, 24, "CLWB" },
    { 0x7, 0, EBX, 26, "AVX512PF" },
    { 0x7, 0, EBX, 27, "AVX512ER" },
    { 0x7, 0, EBX, 28, "AVX512CD" },
    { 0x7, 0, EBX, 29, "SHA" },
    { 0x7, 0, EBX, 30, "AVX512BW" },
    { 0x7, 0, EBX, 31, "AVX512VL" },
    { 0x7, 0, ECX, 0, "PREFETCHWT1" },
    { 0x7, 0, ECX, 1, "AVX512_VBMI" },
    { 0x7, 0, ECX, 6, "AVX512_VBMI2" },
    { 0x7, 0, ECX, 8, "GFNI" },
    { 0x7, 0, ECX, 9, "VAES" },
    { 0x7, 0, ECX, 10, "VPCLMULQDQ" },
    { 0x7, 0, ECX, 11, "AVX512_VNNI" },
    { 0x7, 0, ECX, 12, "AVX512_BITALG" },
    { 0x7, 0, ECX, 14, "AVX512_VPOPCNTDQ" },
    { 0x7, 0, ECX, 25, "CLDEMOTE" },
    { 0x7, 0, ECX, 27, "MOVDIRI" },
    { 0x7, 0, ECX, 28, "MOVDIR64B" },
    { 0x7, 0, EDX, 2, "AVX512_4VNNIW" },
    { 0x7, 0, EDX, 3, "AVX512_4FMAPS" },
    { 0x7, 0, EDX, 4, "FSRM" },
    { 0x7, 0, EDX, 8, "AVX512_VP2INTERSECT" },
    { 0x7, 0, EDX, 14, "SERIALIZE" },
    { 0x7, 0, EDX, 23, "AVX512_FP16" },
    { 0x7, 1, EAX, 4, "AVX_VNNI" },
    { 0x7, 1, EAX, 5, "AVX512_BF16" },
    { 0x7, 1, EAX, 10, "FZRM" },
    { 0x7, 1, EAX, 11, "FSRS" },
    { 0x7, 1, EAX, 12, "FSRC" },
    { LEAF_XSAVE, 0, EAX, 0, "XCR0.x87" },
    { LEAF_XSAVE, 0, EAX, 1, "XCR0.SSE" },
    { LEAF_XSAVE, 0, EAX, 2, "XCR0.AVX" },
    { LEAF_XSAVE, 0, EAX, 5, "XCR0.opmask" },
    { LEAF_XSAVE, 0, EAX, 6, "XCR0.ZMM_Hi256" },
    { LEAF_XSAVE, 0, EAX, 7, "XCR0.Hi16_ZMM" },
    { LEAF_XSAVE, 1, EAX, 0, "XSAVEOPT" },
    { LEAF_XSAVE, 1, EAX, 1, "XSAVEC" },
    { LEAF_XSAVE, 1, EAX, 2, "XGETBV_ECX1" },
    { 0x80000001, 0, ECX, 0, "LAHF_LM" },
    { 0x80000001, 0, ECX, 5, "ABM" },
    { 0x80000001, 0, ECX, 6, "SSE4A" },
    { 0x80000001, 0, ECX, 7, "MISALIGNSSE" },
    { 0x80000001, 0, ECX, 8, "PREFETCHW" },
    { 0x80000001, 0, ECX, 11, "XOP" },
    { 0x80000001, 0, ECX, 16, "FMA4" },
    { 0x80000001, 0, ECX, 21, "TBM" },
    { 0x80000001, 0, EDX, 0, "FPU" },
    { 0x80000001, 0, EDX, 4, "TSC" },
    { 0x80000001, 0, EDX, 5, "MSR" },
    { 0x80000001, 0, EDX, 6, "PAE" },
    { 0x80000001, 0, EDX, 8, "CX8" },
    { 0x80000001, 0, EDX, 11, "SYSCALL" },
    { 0x80000001, 0, EDX, 13, "PGE" },
    { 0x80000001, 0, EDX, 15, "CMOV" },
    { 0x80000001, 0, EDX, 16, "PAT" },
    { 0x80000001, 0, EDX, 20, "NX" },
    { 0x80000001, 0, EDX, 22, "MMXEXT" },
    { 0x80000001, 0, EDX, 23, "MMX" },
    { 0x80000001, 0, EDX, 24, "FXSR" },
    { 0x80000001, 0, EDX, 25, "FXSR_OPT" },
    { 0x80000001, 0, EDX, 27, "RDTSCP" },
    { 0x80000001, 0, EDX, 29, "LM" },
    { 0x80000001, 0, EDX, 30, "3DNOWEXT" },
    { 0x80000001, 0, EDX, 31, "3DNOW" },
    { 0x80000007, 0, EDX, 8, "INVARIANT_TSC" },
};
const size_t hvt_cpuid_n_bits =
    sizeof(hvt_cpuid_bits) / sizeof(hvt_cpuid_bits[0]);

static uint32_t bits_of(uint32_t function, uint32_t index, unsigned reg)
{
    uint32_t mask = 0;

    for (size_t i = 0; i < hvt_cpuid_n_bits; i++) {
        const struct hvt_cpuid_bit *b = &hvt_cpuid_bits[i];

        if (b->function == function && b->index == index && b->reg == reg)
            mask |= 1U << b->bit;
    }
    return mask;
}

static const struct kvm_cpuid_entry2 *host_entry(const struct kvm_cpuid2 *host,
        uint32_t function, uint32_t index)
{
    for (uint32_t i = 0; i < host->nent; i++)
        if (host->entries[i].function == function &&
                host->entries[i].index == index)
            return &host->entries[i];
    return NULL;
}

/* The XSAVE components (leaf 0xD subleafs >= 2) the guest may enable. */
static uint32_t xsave_components(const struct kvm_cpuid2 *host)
{
    const struct kvm_cpuid_entry2 *e = host_entry(host, LEAF_XSAVE, 0);

    return e == NULL ? 0 : e->eax & bits_of(LEAF_XSAVE, 0, EAX);
}

/* The XSAVE area's size with every allowed component enabled. */
static uint32_t xsave_max_size(const struct kvm_cpuid2 *host)
{
    uint32_t components = xsave_components(host);
    uint64_t size = XSAVE_LEGACY_AND_HEADER;

    for (uint32_t i = 2; i < 32; i++) {
        const struct kvm_cpuid_entry2 *e = host_entry(host, LEAF_XSAVE, i);

        if ((components & (1U << i)) && e != NULL &&
                (uint64_t)e->eax + e->ebx > size)
            size = (uint64_t)e->eax + e->ebx;
    }
    return size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
}

static const struct hvt_cpuid_leaf *rule_for(const struct kvm_cpuid2 *host,
        const struct kvm_cpuid_entry2 *e)
{
    for (size_t i = 0; i < hvt_cpuid_n_leaves; i++) {
        const struct hvt_cpuid_leaf *r = &hvt_cpuid_leaves[i];

        if (r->function != e->function)
            continue;
        if (r->index == e->index)
            return r;
        if (r->index != ANY)
            continue;
        if (e->function != LEAF_XSAVE)
            return r;
        if (e->index >= 2 && e->index < 32 &&
                (xsave_components(host) & (1U << e->index)))
            return r;
    }
    return NULL;
}

static uint32_t filter_reg(const struct kvm_cpuid2 *host,
        const struct hvt_cpuid_leaf *r, const struct kvm_cpuid_entry2 *e,
        unsigned reg, uint32_t value)
{
    switch (r->how[reg]) {
    case BITS:
        return value & bits_of(e->function, e->index, reg);
    case WHOLE:
        return value;
    case MASK:
        return value & r->value;
    case CAP:
        return value < r->value ? value : r->value;
    case XSAVE_MAX:
        return xsave_max_size(host);
    default:
        return 0;
    }
}

int hvt_cpuid_filter(const struct kvm_cpuid2 *host, struct kvm_cpuid2 *guest,
        uint32_t max, struct tender_err *err)
{
    guest->nent = 0;
    for (uint32_t i = 0; i < host->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &host->entries[i];
        const struct hvt_cpuid_leaf *r = rule_for(host, e);
        struct kvm_cpuid_entry2 *out;

        if (r == NULL)
            continue;
        if (guest->nent == max)
            return tender_err_set(err, "CPUID: more than %u allowed "
                    "entries", max);
        out = &guest->entries[guest->nent++];
        memset(out, 0, sizeof(*out));
        out->function = e->function;
        out->index = e->index;
        out->flags = e->flags;
        out->eax = filter_reg(host, r, e, EAX, e->eax);
        out->ebx = filter_reg(host, r, e, EBX, e->ebx);
        out->ecx = filter_reg(host, r, e, ECX, e->ecx);
        out->edx = filter_reg(host, r, e, EDX, e->edx);
    }
    return 0;
}
