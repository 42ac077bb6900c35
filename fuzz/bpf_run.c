/*
 * bpf_run.c: a classic BPF interpreter for seccomp filters (bpf_run.h).
 */
#include <stddef.h>
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

/* The instructions seccomp takes (kernel/seccomp.c, seccomp_check_filter()
 * and the classic checks it runs first). */
static int seccomp_code(uint16_t code)
{
    static const uint16_t ok[] = {
        BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN,
        BPF_LDX | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM,
        BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
        BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_MISC | BPF_TAX,
        BPF_MISC | BPF_TXA, BPF_ALU | BPF_NEG, BPF_JMP | BPF_JA,
    };
    static const uint16_t alu[] = {
        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR,
        BPF_LSH, BPF_RSH,
    };
    static const uint16_t jmp[] = { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (code == ok[i])
            return 1;
    for (size_t i = 0; i < sizeof(alu) / sizeof(alu[0]); i++)
        if (code == (BPF_ALU | alu[i] | BPF_K) ||
                code == (BPF_ALU | alu[i] | BPF_X))
            return 1;
    for (size_t i = 0; i < sizeof(jmp) / sizeof(jmp[0]); i++)
        if (code == (BPF_JMP | jmp[i] | BPF_K) ||
                code == (BPF_JMP | jmp[i] | BPF_X))
            return 1;
    return 0;
}

void bpf_check(const struct sock_fprog *prog)
{
    FUZZ_CHECK(prog->len >= 1 && prog->len <= BPF_MAXINSNS);
    FUZZ_CHECK(BPF_CLASS(prog->filter[prog->len - 1].code) == BPF_RET);
    for (unsigned pc = 0; pc < prog->len; pc++) {
        const struct sock_filter *f = &prog->filter[pc];
        unsigned left = prog->len - pc - 1;     /* instructions after */

        FUZZ_CHECK(seccomp_code(f->code));
        if (f->code == (BPF_LD | BPF_W | BPF_ABS))
            FUZZ_CHECK(f->k % 4 == 0 && f->k < sizeof(struct seccomp_data));
        else if (f->code == (BPF_LD | BPF_MEM) ||
                f->code == (BPF_LDX | BPF_MEM) || f->code == BPF_ST ||
                f->code == BPF_STX)
            FUZZ_CHECK(f->k < BPF_MEMWORDS);
        else if (f->code == (BPF_ALU | BPF_DIV | BPF_K))
            FUZZ_CHECK(f->k != 0);
        else if (f->code == (BPF_ALU | BPF_LSH | BPF_K) ||
                f->code == (BPF_ALU | BPF_RSH | BPF_K))
            FUZZ_CHECK(f->k < 32);
        if (f->code == (BPF_JMP | BPF_JA))
            FUZZ_CHECK(f->k < left);
        else if (BPF_CLASS(f->code) == BPF_JMP)
            FUZZ_CHECK(f->jt < left && f->jf < left);
    }
}
