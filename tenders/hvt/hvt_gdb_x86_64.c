/*
 * hvt_gdb_x86_64.c: the x86-64 side of the gdb server: the register block
 * (and the target description that tells gdb its layout), DR0-3/DR7, and
 * what a KVM debug exit means.
 *
 * The block, in gdb's register numbering (the XML below):
 *   0-15   rax rbx rcx rdx rsi rdi rbp rsp r8-r15    8 bytes each
 *   16     rip 8, 17 eflags 4, 18-23 cs ss ds es fs gs 4 each
 *   24-31  st0-st7, 10 bytes each (80-bit, in stack order as FXSAVE)
 *   32-39  fctrl fstat ftag fiseg fioff foseg fooff fop, 4 each
 *   40-55  xmm0-xmm15, 16 each; 56 mxcsr 4
 *   57-58  fs_base gs_base, 8 each
 * r12-r15 are real registers here (upstream always sent 0).  ftag is the
 * full x87 tag word, rebuilt from FXSAVE's abridged one.  Selectors are
 * reported but not written back (a debugger has no business reloading
 * segments); fs_base and gs_base are.  MXCSR travels through KVM_GET/
 * SET_XSAVE: KVM_SET_FPU does not write it (measured: the value does not
 * stick), and KVM_GET_FPU does not always report it.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt_debug.h"

#define N_GPR 16
#define REG_RIP 16
#define REG_EFLAGS 17
#define REG_SEG0 18
#define REG_ST0 24
#define REG_FCTRL 32
#define REG_XMM0 40
#define REG_MXCSR 56
#define REG_FS_BASE 57
#define REG_GS_BASE 58
#define N_REGS 59

#define OFF_RIP (N_GPR * 8)
#define OFF_EFLAGS (OFF_RIP + 8)
#define OFF_SEG (OFF_EFLAGS + 4)
#define OFF_ST (OFF_SEG + 6 * 4)
#define OFF_FCTRL (OFF_ST + 8 * 10)
#define OFF_XMM (OFF_FCTRL + 8 * 4)
#define OFF_MXCSR (OFF_XMM + 16 * 16)
#define OFF_FS_BASE (OFF_MXCSR + 4)
#define OFF_GS_BASE (OFF_FS_BASE + 8)
#define REGS_SIZE (OFF_GS_BASE + 8)

#define XSAVE_MXCSR 24           /* byte offset in the legacy area */
#define XSAVE_XSTATE_BV 512      /* the XSAVE header's component bitmap */
#define XSTATE_SSE (1ULL << 1)
#define DR6_BS (1ULL << 14)
#define DR7_FIXED 0x400ULL
#define DR7_GE (1ULL << 9)
#define TAG_EMPTY 3

/* Every name is one gdb's amd64 support knows; the types are gdb's own
 * (i387_ext) or defined here (vec128). */
const char hvt_gdb_target_xml[] =
    "<?xml version=\"1.0\"?>"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\">"
    "<architecture>i386:x86-64</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
    "</feature>"
    "<feature name=\"org.gnu.gdb.i386.sse\">"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\">"
    "<field name=\"v4_float\" type=\"v4f\"/>"
    "<field name=\"v2_double\" type=\"v2d\"/>"
    "<field name=\"v16_int8\" type=\"v16i8\"/>"
    "<field name=\"v8_int16\" type=\"v8i16\"/>"
    "<field name=\"v4_int32\" type=\"v4i32\"/>"
    "<field name=\"v2_int64\" type=\"v2i64\"/>"
    "<field name=\"uint128\" type=\"uint128\"/>"
    "</union>"
    "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>"
    "</feature>"
    "<feature name=\"org.gnu.gdb.i386.segments\">"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>"
    "</feature>"
    "</target>";

size_t hvt_gdb_regs_size(void)
{
    return REGS_SIZE;
}

int hvt_gdb_reg_slot(unsigned n, size_t *off, size_t *size)
{
    if (n < N_GPR) {
        *off = n * 8;
        *size = 8;
    } else if (n == REG_RIP) {
        *off = OFF_RIP;
        *size = 8;
    } else if (n == REG_EFLAGS) {
        *off = OFF_EFLAGS;
        *size = 4;
    } else if (n < REG_ST0) {
        *off = OFF_SEG + (n - REG_SEG0) * 4;
        *size = 4;
    } else if (n < REG_FCTRL) {
        *off = OFF_ST + (n - REG_ST0) * 10;
        *size = 10;
    } else if (n < REG_XMM0) {
        *off = OFF_FCTRL + (n - REG_FCTRL) * 4;
        *size = 4;
    } else if (n < REG_MXCSR) {
        *off = OFF_XMM + (n - REG_XMM0) * 16;
        *size = 16;
    } else if (n == REG_MXCSR) {
        *off = OFF_MXCSR;
        *size = 4;
    } else if (n == REG_FS_BASE || n == REG_GS_BASE) {
        *off = n == REG_FS_BASE ? OFF_FS_BASE : OFF_GS_BASE;
        *size = 8;
    } else {
        return -1;
    }
    return 0;
}

static void put(uint8_t *buf, size_t off, uint64_t v, size_t size)
{
    memcpy(buf + off, &v, size);    /* little-endian host and target */
}

static uint64_t get(const uint8_t *buf, size_t off, size_t size)
{
    uint64_t v = 0;

    memcpy(&v, buf + off, size);
    return v;
}

/* The x87 tag of one 80-bit register: valid 0, zero 1, special 2. */
static unsigned x87_tag(const uint8_t *r)
{
    unsigned exp = (unsigned)(r[9] & 0x7f) << 8 | r[8];
    uint64_t mant;

    memcpy(&mant, r, 8);
    if (exp == 0x7fff)
        return 2;
    if (exp == 0)
        return mant == 0 ? 1 : 2;
    return (mant >> 63) ? 0 : 2;
}

/* FXSAVE's abridged tag (bit per physical register: not empty) to the
 * full tag word; fpr[] is in stack order, ST(j) = physical (top + j). */
static unsigned x87_full_tag(const struct kvm_fpu *f)
{
    unsigned top = (f->fsw >> 11) & 7, tag = 0;

    for (unsigned phys = 0; phys < 8; phys++) {
        unsigned st = (phys - top) & 7;
        unsigned t = (f->ftwx >> phys) & 1 ? x87_tag(f->fpr[st]) : TAG_EMPTY;

        tag |= t << (2 * phys);
    }
    return tag;
}

static uint8_t x87_abridged_tag(unsigned full)
{
    uint8_t ftwx = 0;

    for (unsigned phys = 0; phys < 8; phys++)
        if (((full >> (2 * phys)) & 3) != TAG_EMPTY)
            ftwx |= (uint8_t)(1U << phys);
    return ftwx;
}

static int vcpu_get(struct hvt *h, struct kvm_regs *r, struct kvm_sregs *s,
        struct kvm_fpu *f, struct tender_err *err)
{
    struct kvm_xsave x;

    if (ioctl(h->vcpu_fd, KVM_GET_REGS, r) != 0 ||
            ioctl(h->vcpu_fd, KVM_GET_SREGS, s) != 0 ||
            ioctl(h->vcpu_fd, KVM_GET_FPU, f) != 0 ||
            ioctl(h->vcpu_fd, KVM_GET_XSAVE, &x) != 0)
        return tender_err_set(err, "gdb: reading the vCPU: %s",
                strerror(errno));
    memcpy(&f->mxcsr, (const uint8_t *)x.region + XSAVE_MXCSR,
            sizeof(f->mxcsr));
    return 0;
}

static int vcpu_set_mxcsr(struct hvt *h, uint32_t mxcsr)
{
    struct kvm_xsave x;
    uint64_t bv;

    if (ioctl(h->vcpu_fd, KVM_GET_XSAVE, &x) != 0)
        return -1;
    memcpy((uint8_t *)x.region + XSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
    /* While the guest has not used SSE the SSE bit is clear and KVM would
     * load the SSE state's initial values instead (the write was acked
     * but lost).  The image holds those values for the XMM registers, so
     * marking it present changes nothing else. */
    memcpy(&bv, (uint8_t *)x.region + XSAVE_XSTATE_BV, sizeof(bv));
    bv |= XSTATE_SSE;
    memcpy((uint8_t *)x.region + XSAVE_XSTATE_BV, &bv, sizeof(bv));
    return ioctl(h->vcpu_fd, KVM_SET_XSAVE, &x);
}

int hvt_gdb_regs_get(struct hvt *h, uint8_t *buf, struct tender_err *err)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    struct kvm_fpu f;
    const struct kvm_segment *seg[6] = {
        &s.cs, &s.ss, &s.ds, &s.es, &s.fs, &s.gs,
    };
    uint64_t gpr[N_GPR];

    if (vcpu_get(h, &r, &s, &f, err) != 0)
        return -1;
    gpr[0] = r.rax, gpr[1] = r.rbx, gpr[2] = r.rcx, gpr[3] = r.rdx;
    gpr[4] = r.rsi, gpr[5] = r.rdi, gpr[6] = r.rbp, gpr[7] = r.rsp;
    gpr[8] = r.r8, gpr[9] = r.r9, gpr[10] = r.r10, gpr[11] = r.r11;
    gpr[12] = r.r12, gpr[13] = r.r13, gpr[14] = r.r14, gpr[15] = r.r15;
    for (unsigned i = 0; i < N_GPR; i++)
        put(buf, i * 8, gpr[i], 8);
    put(buf, OFF_RIP, r.rip, 8);
    put(buf, OFF_EFLAGS, r.rflags, 4);
    for (unsigned i = 0; i < 6; i++)
        put(buf, OFF_SEG + i * 4, seg[i]->selector, 4);
    for (unsigned i = 0; i < 8; i++)
        memcpy(buf + OFF_ST + i * 10, f.fpr[i], 10);
    put(buf, OFF_FCTRL + 0, f.fcw, 4);
    put(buf, OFF_FCTRL + 4, f.fsw, 4);
    put(buf, OFF_FCTRL + 8, x87_full_tag(&f), 4);
    put(buf, OFF_FCTRL + 12, 0, 4);                     /* fiseg */
    put(buf, OFF_FCTRL + 16, f.last_ip & 0xffffffff, 4);
    put(buf, OFF_FCTRL + 20, 0, 4);                     /* foseg */
    put(buf, OFF_FCTRL + 24, f.last_dp & 0xffffffff, 4);
    put(buf, OFF_FCTRL + 28, f.last_opcode, 4);
    memcpy(buf + OFF_XMM, f.xmm, 16 * 16);
    put(buf, OFF_MXCSR, f.mxcsr, 4);
    put(buf, OFF_FS_BASE, s.fs.base, 8);
    put(buf, OFF_GS_BASE, s.gs.base, 8);
    return 0;
}

int hvt_gdb_regs_set(struct hvt *h, const uint8_t *buf,
        struct tender_err *err)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    struct kvm_fpu f;
    __u64 *gpr[N_GPR] = {
        &r.rax, &r.rbx, &r.rcx, &r.rdx, &r.rsi, &r.rdi, &r.rbp, &r.rsp,
        &r.r8, &r.r9, &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15,
    };
    const struct kvm_segment *seg[6] = {
        &s.cs, &s.ss, &s.ds, &s.es, &s.fs, &s.gs,
    };

    if (vcpu_get(h, &r, &s, &f, err) != 0)
        return -1;
    /* Selectors are read-only here: a write that would change one is
     * refused rather than acknowledged and dropped. */
    for (unsigned i = 0; i < 6; i++) {
        if (get(buf, OFF_SEG + i * 4, 4) != seg[i]->selector)
            return tender_err_set(err, "gdb: segment selectors are "
                    "read-only");
    }
    for (unsigned i = 0; i < N_GPR; i++)
        *gpr[i] = get(buf, i * 8, 8);
    r.rip = get(buf, OFF_RIP, 8);
    r.rflags = (r.rflags & ~0xffffffffULL) | get(buf, OFF_EFLAGS, 4);
    for (unsigned i = 0; i < 8; i++)
        memcpy(f.fpr[i], buf + OFF_ST + i * 10, 10);
    f.fcw = (uint16_t)get(buf, OFF_FCTRL + 0, 4);
    f.fsw = (uint16_t)get(buf, OFF_FCTRL + 4, 4);
    f.ftwx = x87_abridged_tag((unsigned)get(buf, OFF_FCTRL + 8, 4));
    f.last_ip = get(buf, OFF_FCTRL + 16, 4);
    f.last_dp = get(buf, OFF_FCTRL + 24, 4);
    f.last_opcode = (uint16_t)get(buf, OFF_FCTRL + 28, 4);
    memcpy(f.xmm, buf + OFF_XMM, 16 * 16);
    f.mxcsr = (uint32_t)get(buf, OFF_MXCSR, 4);
    s.fs.base = get(buf, OFF_FS_BASE, 8);
    s.gs.base = get(buf, OFF_GS_BASE, 8);
    if (ioctl(h->vcpu_fd, KVM_SET_REGS, &r) != 0 ||
            ioctl(h->vcpu_fd, KVM_SET_SREGS, &s) != 0 ||
            ioctl(h->vcpu_fd, KVM_SET_FPU, &f) != 0 ||
            vcpu_set_mxcsr(h, f.mxcsr) != 0)
        return tender_err_set(err, "gdb: writing the vCPU: %s",
                strerror(errno));
    return 0;
}

uint64_t hvt_gdb_get_pc(struct hvt *h)
{
    struct kvm_regs r;

    if (ioctl(h->vcpu_fd, KVM_GET_REGS, &r) != 0)
        return ~0ULL;
    return r.rip;
}

int hvt_gdb_set_pc(struct hvt *h, uint64_t pc, struct tender_err *err)
{
    struct kvm_regs r;

    if (ioctl(h->vcpu_fd, KVM_GET_REGS, &r) != 0)
        return tender_err_set(err, "gdb: KVM_GET_REGS: %s", strerror(errno));
    r.rip = pc;
    if (ioctl(h->vcpu_fd, KVM_SET_REGS, &r) != 0)
        return tender_err_set(err, "gdb: KVM_SET_REGS: %s", strerror(errno));
    return 0;
}

bool hvt_gdb_hw_ok(enum hvt_gdb_bp_type type, uint64_t addr, unsigned len)
{
    if (type == HVT_GDB_BP_HW)
        return len == 1;
    if (len != 1 && len != 2 && len != 4 && len != 8)
        return false;
    return addr % len == 0;
}

/* DR7's R/W and LEN fields for one breakpoint. */
static uint64_t dr7_bits(const struct hvt_gdb_hw *w, unsigned i)
{
    uint64_t rw, len;

    switch (w->type) {
    case HVT_GDB_WATCH_WRITE:
        rw = 1;
        break;
    case HVT_GDB_WATCH_READ:        /* x86 has no read-only: read/write */
    case HVT_GDB_WATCH_ACCESS:
        rw = 3;
        break;
    default:
        rw = 0;
        break;
    }
    len = w->len == 2 ? 1 : w->len == 8 ? 2 : w->len == 4 ? 3 : 0;
    if (w->type == HVT_GDB_BP_HW)
        len = 0;
    return (1ULL << (2 * i)) | rw << (16 + 4 * i) | len << (18 + 4 * i);
}

int hvt_gdb_arch_debug(struct hvt *h, struct hvt_debug *d,
        struct tender_err *err)
{
    struct kvm_guest_debug dbg;
    bool any_sw = false, any_hw = false;

    memset(&dbg, 0, sizeof(dbg));
    for (unsigned i = 0; i < HVT_GDB_SW_MAX; i++)
        any_sw |= d->sw[i].used;
    for (unsigned i = 0; i < HVT_GDB_HW_MAX; i++) {
        if (!d->hw[i].used)
            continue;
        any_hw = true;
        dbg.arch.debugreg[i] = d->hw[i].addr;
        dbg.arch.debugreg[7] |= dr7_bits(&d->hw[i], i);
    }
    if (any_sw)
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
    if (any_hw) {
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
        dbg.arch.debugreg[7] |= DR7_FIXED | DR7_GE;
    }
    if (d->step || d->watch_stepping)
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    if (ioctl(h->vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) != 0)
        return tender_err_set(err, "gdb: KVM_SET_GUEST_DEBUG: %s",
                strerror(errno));
    return 0;
}

void hvt_gdb_arch_exit(const struct hvt *h, unsigned *dr_hit, bool *step,
        bool *int3)
{
    const struct kvm_debug_exit_arch *a = &h->run->debug.arch;

    *int3 = a->exception == 3;
    *dr_hit = a->exception == 1 ? (unsigned)(a->dr6 & 0xf) : 0;
    *step = a->exception == 1 && (a->dr6 & DR6_BS) != 0;
}
