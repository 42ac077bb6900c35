/*
 * hvt_insn_x86_64.c: does an instruction use the x87/SSE/MMX/AVX units?
 *
 * Only chooses the wording of a fatal message (docs/kvm-pvm.md §2: kvm-pvm
 * cannot emulate most such instructions in a CPL0 guest), so a rough
 * decoder is enough: skip legacy prefixes and REX, then look at the opcode.
 */
#include "hvt.h"

static bool hvt_insn_0f(const uint8_t *op, size_t len)
{
    uint8_t b, modrm_reg;

    if (len < 2)
        return false;
    b = op[1];
    if (b == 0x01)                              /* xgetbv: 0f 01 d0 */
        return len >= 3 && op[2] == 0xd0;
    if (b == 0xae)                              /* fxsave..stmxcsr: /0-/3 */
        return len >= 3 && (modrm_reg = (op[2] >> 3) & 7) <= 3;
    if (b == 0x38)                              /* SSSE3/SSE4, not movbe/crc32 */
        return len >= 3 && op[2] != 0xf0 && op[2] != 0xf1;
    if (b == 0x3a)
        return true;
    return (b >= 0x10 && b <= 0x17) || (b >= 0x28 && b <= 0x2f) ||
        (b >= 0x50 && b <= 0x7f) || b == 0xc2 || (b >= 0xc4 && b <= 0xc6) ||
        (b >= 0xd0 && b <= 0xfe);
}

bool hvt_insn_is_fpu(const uint8_t *insn, size_t len)
{
    size_t i = 0;

    while (i < len && (insn[i] == 0x66 || insn[i] == 0xf2 || insn[i] == 0xf3))
        i++;
    if (i < len && insn[i] >= 0x40 && insn[i] <= 0x4f)
        i++;
    if (i >= len)
        return false;
    if (insn[i] >= 0xd8 && insn[i] <= 0xdf)     /* x87 escape */
        return true;
    if (insn[i] == 0xc4 || insn[i] == 0xc5)     /* VEX: AVX in 64-bit mode */
        return true;
    if (insn[i] == 0x0f)
        return hvt_insn_0f(insn + i, len - i);
    return false;
}
