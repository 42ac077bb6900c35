/*
 * fuzz_gdb.c: solo5-hvt-debug's GDB remote protocol server (hvt_gdb*.c):
 * packet framing, checksums and acks, every packet's parser, memory and
 * breakpoint commands against guest memory, register packets, stop replies.
 *
 * The fake tender of fake_hvt.h, with a real vCPU when /dev/kvm works (so
 * the register packets reach KVM's GET/SET ioctls; its registers are put
 * back after each input that may have changed them), otherwise (or with
 * FUZZ_GDB_NO_VCPU=1 in the environment) none: those packets then answer
 * E01.
 * The vCPU never runs.
 *
 * Input: EVENTS bytes of script, then the bytes the debugger sends (on a
 * socket: the server reads them, its replies go to the harness).  The
 * server first serves as at start-up; then, while the debugger is still
 * there, each script byte picks the next thing the guest does (event %
 * 5): a debug exit (another script byte: which DRn or a single step), an
 * int3 stop, an interrupt (the server looks for 0x03 in the input), the
 * guest exiting, the guest dying.
 *
 * Beyond memory safety (writes to read-only guest memory go through
 * /proc/self/mem, as in the tender; anything else faults), checked: every
 * reply the server sends is a well-formed "$...#xx" packet with the right
 * checksum, or an ack.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_hvt.h"
#include "hvt_debug.h"
#include "util.h"

#define EVENTS 8

static struct fake_hvt fake;
static struct hvt_debug debug;
static bool have_vcpu;

/* The vCPU's registers before any input touched them. */
static struct {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_xsave xsave;
} saved;

static void vcpu_save(void)
{
    int fd = fake.h.vcpu_fd;

    FUZZ_CHECK(ioctl(fd, KVM_GET_REGS, &saved.regs) == 0 &&
            ioctl(fd, KVM_GET_SREGS, &saved.sregs) == 0 &&
            ioctl(fd, KVM_GET_FPU, &saved.fpu) == 0 &&
            ioctl(fd, KVM_GET_XSAVE, &saved.xsave) == 0);
}

static void vcpu_restore(void)
{
    int fd = fake.h.vcpu_fd;

    FUZZ_CHECK(ioctl(fd, KVM_SET_REGS, &saved.regs) == 0 &&
            ioctl(fd, KVM_SET_SREGS, &saved.sregs) == 0 &&
            ioctl(fd, KVM_SET_FPU, &saved.fpu) == 0 &&
            ioctl(fd, KVM_SET_XSAVE, &saved.xsave) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct tender_err err;

    (void)argc;
    (void)argv;
    fake_hvt_init(&fake);
    fake.h.debug = &debug;
    /* FUZZ_GDB_NO_VCPU=1: as on a host without /dev/kvm. */
    have_vcpu = getenv("FUZZ_GDB_NO_VCPU") == NULL &&
        hvt_kvm_init(&fake.h, &err) == 0;
    if (have_vcpu) {
        vcpu_save();
    } else {
        fake.h.vcpu_fd = -1;
        fake.h.run = calloc(1, sizeof(*fake.h.run));
        FUZZ_CHECK(fake.h.run != NULL);
    }
    debug.mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    FUZZ_CHECK(debug.mem_fd >= 0);
    return 0;
}

/* Everything the server sent: acks and well-formed packets only. */
static void check_replies(int fd)
{
    static char buf[1 << 20];
    size_t len = 0;
    ssize_t n;

    while (len < sizeof(buf) &&
            (n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT)) > 0)
        len += (size_t)n;
    for (size_t i = 0; i < len;) {
        uint8_t sum = 0;
        unsigned v;
        char hex[3];

        if (buf[i] == '+' || buf[i] == '-') {
            i++;
            continue;
        }
        FUZZ_CHECK(buf[i] == '$');
        for (i++; i < len && buf[i] != '#'; i++) {
            FUZZ_CHECK(buf[i] != '$');
            sum = (uint8_t)(sum + (uint8_t)buf[i]);
        }
        if (i + 3 > len)
            break;      /* cut short by the socket buffer: not a reply */
        memcpy(hex, buf + i + 1, 2);
        hex[2] = '\0';
        FUZZ_CHECK(sscanf(hex, "%2x", &v) == 1 && v == sum);
        i += 3;
    }
}

/* One thing the guest does while the debugger is attached. */
static void guest_event(struct fuzz_in *script)
{
    struct tender_err err;
    unsigned event = (unsigned)fuzz_take(script, 1);
    struct kvm_run *run = fake.h.run;

    switch (event % 5) {
    case 0:
        run->exit_reason = KVM_EXIT_DEBUG;
        run->debug.arch.exception = 1;
        run->debug.arch.dr6 = fuzz_take(script, 1) & 0xf;
        if (event & 0x80)
            run->debug.arch.dr6 |= 1ULL << 14;  /* single step */
        hvt_gdb_vmexit(&fake.t, &err);
        break;
    case 1:
        run->exit_reason = KVM_EXIT_DEBUG;
        run->debug.arch.exception = 3;
        hvt_gdb_vmexit(&fake.t, &err);
        break;
    case 2:
        run->exit_reason = KVM_EXIT_INTR;
        hvt_gdb_vmexit(&fake.t, &err);
        break;
    case 3:
        hvt_gdb_done(&fake.t, (int)(event >> 3), &err);
        break;
    default:
        hvt_gdb_done(&fake.t, -1, &err);
        break;
    }
}

/* Whether the input has a packet that may change the vCPU's registers
 * (G, P, or a resume that may set the pc): only then do they need putting
 * back (KVM's register ioctls cost most of a run). */
static bool may_write_registers(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 1 < size; i++)
        if (data[i] == '$' && memchr("GPcsCS", data[i + 1], 6) != NULL)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool dirty;
    struct fuzz_in script = { data, size < EVENTS ? size : EVENTS, 0 };
    struct tender_err err;
    int sv[2];

    if (have_vcpu && dirty)
        vcpu_restore();
    dirty = may_write_registers(data, size);
    fake_hvt_reset(&fake, data, 0);
    memset(debug.sw, 0, sizeof(debug.sw));
    memset(debug.hw, 0, sizeof(debug.hw));
    debug.in_len = debug.in_pos = 0;
    debug.step = debug.watch_stepping = false;
    debug.gdb = true;
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0, sv) == 0);
    if (size > EVENTS)
        FUZZ_CHECK(write(sv[1], data + EVENTS, size - EVENTS) ==
                (ssize_t)(size - EVENTS));
    shutdown(sv[1], SHUT_WR);
    debug.conn_fd = sv[0];
    hvt_gdb_start(&fake.t, &err);
    while (debug.conn_fd >= 0 && script.pos < script.size)
        guest_event(&script);
    if (debug.conn_fd >= 0)
        hvt_gdb_done(&fake.t, 0, &err);
    FUZZ_CHECK(debug.conn_fd == -1);
    check_replies(sv[1]);
    close(sv[1]);
    return 0;
}
