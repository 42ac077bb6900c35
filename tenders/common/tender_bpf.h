/*
 * tender_bpf.h: writing classic BPF for seccomp, one instruction at a time.
 *
 * The writers count every instruction, also past the end of their buffer,
 * so that a filter that does not fit is reported with its real size.
 * Jump offsets are relative to the next instruction; conditional jumps
 * reach at most 255 instructions ahead, BPF_JA 2^32-1.
 */
#ifndef TENDER_BPF_H
#define TENDER_BPF_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_out {
    struct sock_filter *f;
    size_t n, max;
};

static inline void bpf_emit(struct bpf_out *o, uint16_t code, uint8_t jt,
        uint8_t jf, uint32_t k)
{
    if (o->n < o->max)
        o->f[o->n] = (struct sock_filter){ code, jt, jf, k };
    o->n++;
}

/* Offsets of the low and high 32 bits of argument `i` in seccomp_data. */
#define BPF_ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + \
            8 * (i) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4)))
#define BPF_ARG_HI(i) ((uint32_t)(offsetof(struct seccomp_data, args) + \
            8 * (i) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 4 : 0)))

#define LD(off) bpf_emit(o, BPF_LD | BPF_W | BPF_ABS, 0, 0, (off))
#define RET(action) bpf_emit(o, BPF_RET | BPF_K, 0, 0, (action))
#define JA(k) bpf_emit(o, BPF_JMP | BPF_JA, 0, 0, (k))
#define JEQ(k, jt, jf) bpf_emit(o, BPF_JMP | BPF_JEQ | BPF_K, (jt), (jf), (k))
#define JGT(k, jt, jf) bpf_emit(o, BPF_JMP | BPF_JGT | BPF_K, (jt), (jf), (k))
#define JGE(k, jt, jf) bpf_emit(o, BPF_JMP | BPF_JGE | BPF_K, (jt), (jf), (k))

/* This architecture's AUDIT_ARCH_* (tender_seccomp_<arch>.c): a call made
 * through another ABI (i386's int 0x80 on x86_64) carries another. */
extern const uint32_t tender_seccomp_audit_arch;

/* Kills the process unless the call is of this architecture's ABI. */
static inline void bpf_check_arch(struct bpf_out *o)
{
    LD(offsetof(struct seccomp_data, arch));
    JEQ(tender_seccomp_audit_arch, 1, 0);
    RET(SECCOMP_RET_KILL_PROCESS);
}

#endif /* TENDER_BPF_H */
