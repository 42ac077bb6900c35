/*
 * bpf_run.c: a classic BPF interpreter for seccomp filters (bpf_run.h).
 */
#include <string.h>

#include "bpf_run.h"
#include "util.h"

static uint32_t load_abs(const struct seccomp_data *d, uint32_t k)
{
    uint32_t v;

    FUZZ_CHECK(k % 4 == 0 && k + 4 <= sizeof(*d));
    memcpy(&v, (const uint8_t *)d + k, 4);
    return v;
}

static uint32_t alu(uint16_t op, uint32_t a, uint32_t v)
{
    switch (op) {
    case BPF_ADD: return a + v;
    case BPF_SUB: return a - v;
    case BPF_MUL: return a * v;
    case BPF_DIV: FUZZ_CHECK(v != 0); return a / v;
    case BPF_MOD: FUZZ_CHECK(v != 0); return a % v;
    case BPF_AND: return a & v;
    case BPF_OR: return a | v;
    case BPF_XOR: return a ^ v;
    case BPF_LSH: return v < 32 ? a << v : 0;
    case BPF_RSH: return v < 32 ? a >> v : 0;
    case BPF_NEG: return -a;
    }
    FUZZ_CHECK(!"unknown ALU op");
    return 0;
}

static int jump(uint16_t op, uint32_t a, uint32_t v)
{
    switch (op) {
    case BPF_JEQ: return a == v;
    case BPF_JGT: return a > v;
    case BPF_JGE: return a >= v;
    case BPF_JSET: return (a & v) != 0;
    }
    FUZZ_CHECK(!"unknown jump");
    return 0;
}

uint32_t bpf_run(const struct sock_fprog *prog,
        const struct seccomp_data *data)
{
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

    for (unsigned pc = 0; pc < prog->len; pc++) {
        const struct sock_filter *f = &prog->filter[pc];
        uint16_t cls = BPF_CLASS(f->code);
        uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;

        switch (cls) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;

            if (BPF_MODE(f->code) == BPF_ABS)
                v = load_abs(data, f->k);
            else if (BPF_MODE(f->code) == BPF_IMM)
                v = f->k;
            else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS)
                v = mem[f->k];
            else if (BPF_MODE(f->code) == BPF_LEN)
                v = sizeof(*data);
            else
                fuzz_check_failed(__FILE__, __LINE__, "bad load");
            if (cls == BPF_LD)
                a = v;
            else
                x = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            FUZZ_CHECK(f->k < BPF_MEMWORDS);
            mem[f->k] = cls == BPF_ST ? a : x;
            break;
        case BPF_ALU:
            a = alu(BPF_OP(f->code), a, src);
            break;
        case BPF_JMP:
            if (BPF_OP(f->code) == BPF_JA) {
                FUZZ_CHECK(f->k < prog->len - pc - 1);
                pc += f->k;
                break;
            }
            FUZZ_CHECK(f->jt < prog->len - pc - 1 &&
                    f->jf < prog->len - pc - 1);
            pc += jump(BPF_OP(f->code), a, src) ? f->jt : f->jf;
            break;
        case BPF_RET:
            return BPF_RVAL(f->code) == BPF_A ? a : f->k;
        case BPF_MISC:
            if (BPF_MISCOP(f->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        }
    }
    fuzz_check_failed(__FILE__, __LINE__, "filter ran off its end");
}
