/*
 * hvt_cpuid_x86_64.h: the guest's CPUID, an allowlist over what KVM
 * supports (upstream issue #610).  The table is in hvt_cpuid_x86_64.c;
 * docs/security.md shows it (tests/hvt/test_hvt_cpuid.py keeps the two
 * in step).
 */
#ifndef HVT_CPUID_X86_64_H
#define HVT_CPUID_X86_64_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* How one register of an allowed leaf reaches the guest. */
enum hvt_cpuid_how {
    HVT_CPUID_NONE,         /* zero */
    HVT_CPUID_BITS,         /* only the feature bits of hvt_cpuid_bits[] */
    HVT_CPUID_WHOLE,        /* as KVM has it (vendor, family, cache sizes) */
    HVT_CPUID_MASK,         /* ANDed with the leaf's mask (fields kept) */
    HVT_CPUID_CAP,          /* a highest-leaf number: at most the cap */
    HVT_CPUID_XSAVE_MAX,    /* recomputed: the XSAVE area's size for every
                               component the guest may enable */
};

/* Matches every subleaf; for leaf 0xD: the component subleafs (>= 2) of
 * the components the guest may enable. */
#define HVT_CPUID_ANY_INDEX 0xffffffffU

/* Entries of the CPUID buffers handed to KVM. */
#define HVT_KVM_CPUID_MAX 256

struct hvt_cpuid_leaf {
    uint32_t function, index;
    uint8_t how[4];             /* EAX, EBX, ECX, EDX */
    uint32_t value;             /* MASK: the mask; CAP: the cap */
    const char *what;
};

struct hvt_cpuid_bit {
    uint32_t function, index;
    uint8_t reg;                /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
    uint8_t bit;
    const char *name;
};

extern const struct hvt_cpuid_leaf hvt_cpuid_leaves[];
extern const size_t hvt_cpuid_n_leaves;
extern const struct hvt_cpuid_bit hvt_cpuid_bits[];
extern const size_t hvt_cpuid_n_bits;

/*
 * The guest's CPUID from KVM's supported one: only the leaves of
 * hvt_cpuid_leaves[], each register as its rule says.  `guest` has room for
 * `max` entries; fails if they do not fit.
 */
struct tender_err;
int hvt_cpuid_filter(const struct kvm_cpuid2 *host, struct kvm_cpuid2 *guest,
        uint32_t max, struct tender_err *err);

/* hvt_kvm_cpuid_x86_64.c: what KVM_GET_SUPPORTED_CPUID says, fetched by a
 * helper thread since /dev/kvm was opened (hvt_kvm_arch_open()); the
 * buffer stays valid until hvt_kvm_cpuid_free(). */
struct hvt;
struct tender_err;
int hvt_kvm_supported_cpuid(struct hvt *h, struct kvm_cpuid2 **cpuid,
        struct tender_err *err);
void hvt_kvm_cpuid_free(struct hvt *h);

#endif /* HVT_CPUID_X86_64_H */
