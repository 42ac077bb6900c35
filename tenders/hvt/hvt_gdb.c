/*
 * hvt_gdb.c: the gdb module of solo5-hvt-debug: a GDB remote protocol
 * server for the one vCPU (ref §8.2; docs/debugging.md).
 *
 * --gdb listens (loopback by default) when the modules are set up, so a
 * port already in use is an error before anything runs; the tender then
 * waits for the debugger right before the guest's first instruction and
 * stops there.  Packets: ? g G p P m M c s C S Z0-4 z0-4 k vKill D,
 * qSupported, qXfer:features:read (the register layout, hvt_gdb_<arch>.c),
 * qAttached; anything else gets the empty reply.  Ack mode throughout.
 * While the guest runs, the interrupt byte (gdb's Ctrl-C) stops it with
 * SIGINT ("Interrupting" below says how).
 *
 * Differences from upstream, on purpose:
 *  - every register of the core set is transferred, r12-r15 included, and
 *    the x87/SSE state, fs_base and gs_base (a target description says so);
 *  - memory reads and writes are checked against guest memory (GVA = GPA)
 *    and writes go through /proc/self/mem, so .text stays read-only to the
 *    guest itself while the debugger can still plant int3;
 *  - loopback by default (--gdb-addr to change it);
 *  - with --gdb the tender does not offer HVT_FEATURE_USER_MODE: the guest
 *    stays at CPL0, where this KVM honours KVM_SET_GUEST_DEBUG (measured
 *    on kvm-pvm: at CPL3 #DB and #BP go to the guest, single-step and
 *    DR0-3 are ignored; docs/debugging.md);
 *  - write watchpoints are also checked by the server itself, stepping the
 *    guest while one is set and comparing values, because kvm-pvm's CPL0
 *    emulator does not report data breakpoints; read and access
 *    watchpoints rely on DR0-3 alone;
 *  - an int3 at CPL0 is an emulation failure on kvm-pvm: one at a planted
 *    breakpoint is reported as the breakpoint;
 *  - a fatal exit stops in the debugger (SIGSEGV) before the tender exits;
 *  - Ctrl-C works, also while the guest spins without exits or waits in
 *    POLL (upstream never looked at the connection while the guest ran).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hvt_debug.h"
#include "tender_seccomp.h"

#define OPT_GDB "--gdb"
#define OPT_PORT "--gdb-port="
#define OPT_ADDR "--gdb-addr="
#define DEFAULT_ADDR "127.0.0.1"

/* What the debugger wants after a stop. */
enum gdb_next {
    GDB_RESUME,
    GDB_KILL,
};

static int gdb_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    struct hvt_debug *d = hvt_debug_of(t);

    if (strcmp(arg, OPT_GDB) == 0) {
        d->gdb = true;
        return TENDER_ARG_HANDLED;
    }
    if (strncmp(arg, OPT_PORT, strlen(OPT_PORT)) == 0) {
        const char *v = arg + strlen(OPT_PORT);
        char *end;
        unsigned long port;

        errno = 0;
        port = strtoul(v, &end, 10);
        if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 ||
                port > 65535) {
            /* Upstream's words first, for scripts that look for them. */
            tender_err_set(err, "Malformed argument to --gdb-port: `%s' "
                    "(0 to 65535; 0 picks a free one)", v);
            return TENDER_ARG_ERROR;
        }
        d->gdb = true;
        d->gdb_port = (unsigned)port;
        return TENDER_ARG_HANDLED;
    }
    if (strncmp(arg, OPT_ADDR, strlen(OPT_ADDR)) == 0) {
        d->gdb = true;
        d->gdb_addr = arg + strlen(OPT_ADDR);
        return TENDER_ARG_HANDLED;
    }
    return TENDER_ARG_UNKNOWN;
}

/* An IPv4 or IPv6 literal. */
static int gdb_sockaddr(const char *addr, unsigned port,
        struct sockaddr_storage *ss, socklen_t *len, struct tender_err *err)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof(*in4);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return 0;
    }
    return tender_err_set(err, "--gdb-addr: invalid address `%s' (an IPv4 "
            "or IPv6 address)", addr);
}

static unsigned gdb_bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Listens now, so that a bad address or a busy port fails before the
 * guest is set up any further. */
static int gdb_setup(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int one = 1;

    if (!d->gdb)
        return 0;
    if (d->gdb_addr == NULL)
        d->gdb_addr = DEFAULT_ADDR;
    if (gdb_sockaddr(d->gdb_addr, d->gdb_port, &ss, &len, err) != 0)
        return -1;
    d->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (d->listen_fd < 0)
        return tender_err_set(err, "%s: socket: %s", OPT_GDB,
                strerror(errno));
    setsockopt(d->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(d->listen_fd, (struct sockaddr *)&ss, len) != 0 ||
            listen(d->listen_fd, 1) != 0)
        return tender_err_set(err, "%s: cannot listen on %s port %u: %s",
                OPT_GDB, d->gdb_addr, d->gdb_port, strerror(errno));
    d->gdb_port = gdb_bound_port(d->listen_fd);
    d->mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (d->mem_fd < 0)
        return tender_err_set(err, "%s: /proc/self/mem: %s", OPT_GDB,
                strerror(errno));
    /* The guest stays at CPL0, where KVM_SET_GUEST_DEBUG works here. */
    h->user_mode = false;
    hvt_debug_select_hooks(h);
    return 0;
}

/*
 * Interrupting.  gdb sends one unframed byte, 0x03, while the guest runs,
 * and expects a stop.  There is no watcher thread (nothing to synchronise
 * with, and no second thread to sandbox): the vCPU thread itself is told.
 *
 *  - The connection is O_ASYNC, owned by the vCPU thread: the kernel sends
 *    it SIGIO whenever the debugger's bytes arrive.  KVM_RUN is never
 *    restarted after a handled signal: it returns EINTR, and the run loop
 *    hands that to hvt_gdb_vmexit() as KVM_EXIT_INTR, which reads what
 *    arrived without blocking (hvt_gdb_poll_break()) and stops on 0x03.
 *  - A signal landing just before KVM_RUN would be lost to it; so the
 *    handler sets the run area's immediate_exit, which makes the next
 *    KVM_RUN return EINTR at once (the KVM API's race-free kick).  The exit
 *    clears it before looking at the connection, so a byte arriving after
 *    the look sets it again: no byte is missed.
 *  - A guest waiting in POLL: the connection is in POLL's epoll set
 *    (edge-triggered: one wake-up per arrival, also at EOF, never a busy
 *    loop), so the POLL returns early with nothing ready and the guest
 *    stops right after it (our bindings then poll again until the
 *    deadline: solo5_yield() keeps its contract).
 *  - SA_RESTART: every other blocking call of the tender (console writes,
 *    the debugger's reads) simply goes on; epoll_pwait is never restarted
 *    and POLL retries it.
 *
 * Bytes arriving while the guest is stopped (so also 0x03 racing with a
 * breakpoint or the exit) are read by the packet code, which skips
 * anything outside a packet or an ack: the stop already answers them.
 *
 * The handler has no argument to find the run area through: hence this
 * one static, set once before the handler is installed.
 */
static struct kvm_run *gdb_kick_run;

static void gdb_kick(int sig)
{
    (void)sig;
    *(volatile __u8 *)&gdb_kick_run->immediate_exit = 1;
}

static int gdb_interrupt_setup(struct hvt *h, struct hvt_debug *d,
        struct tender_err *err)
{
    struct sigaction sa = { .sa_handler = gdb_kick, .sa_flags = SA_RESTART };
    struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = gettid() };
    /* Like POLL's timer, an event with an index that is no device. */
    struct epoll_event ev = {
        .events = EPOLLIN | EPOLLET, .data.u64 = UINT64_MAX,
    };
    int flags;

    if (ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
        return tender_err_set(err, "%s: KVM does not support "
                "KVM_CAP_IMMEDIATE_EXIT (needed to interrupt the guest)",
                OPT_GDB);
    gdb_kick_run = h->run;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGIO, &sa, NULL) != 0 ||
            fcntl(d->conn_fd, F_SETOWN_EX, &owner) != 0 ||
            (flags = fcntl(d->conn_fd, F_GETFL)) < 0 ||
            fcntl(d->conn_fd, F_SETFL, flags | O_ASYNC) != 0)
        return tender_err_set(err, "%s: cannot watch the connection for "
                "interrupts: %s", OPT_GDB, strerror(errno));
    if (epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, d->conn_fd, &ev) != 0)
        return tender_err_set(err, "%s: epoll_ctl: %s", OPT_GDB,
                strerror(errno));
    return 0;
}

int hvt_gdb_before_seccomp(struct tender *t, struct tender_err *err)
{
    struct hvt_debug *d = hvt_debug_of(t);
    bool v6 = strchr(d->gdb_addr, ':') != NULL;
    int one = 1, fd;

    fprintf(stderr, "%s: gdb: waiting for a debugger on %s port %u; "
            "connect with: gdb --ex 'target remote %s%s%s:%u' %s\n",
            t->backend->name, d->gdb_addr, d->gdb_port, v6 ? "[" : "",
            d->gdb_addr, v6 ? "]" : "", d->gdb_port, t->kernel);
    do {
        fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return tender_err_set(err, "%s: accept: %s", OPT_GDB,
                strerror(errno));
    close(d->listen_fd);
    d->listen_fd = -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    d->conn_fd = fd;
    if (hvt_debug_pin_fd(&d->conn_fd, HVT_DEBUG_FD_GDB, "gdb", err) != 0 ||
            hvt_debug_pin_fd(&d->mem_fd, HVT_DEBUG_FD_MEM, "gdb", err) != 0)
        return -1;
    return gdb_interrupt_setup(hvt_of(t), d, err);
}

/* What serving the debugger needs under the filter. */
static const struct tender_seccomp_rule hvt_gdb_rules[] = {
    /* The packets, and writes to guest .text through /proc/self/mem. */
    { TENDER_SYSCALL(read), 1, { TENDER_ARG_IS(0, HVT_DEBUG_FD_GDB) } },
    { TENDER_SYSCALL(write), 1, { TENDER_ARG_IS(0, HVT_DEBUG_FD_GDB) } },
    { TENDER_SYSCALL(pwrite64), 1, { TENDER_ARG_IS(0, HVT_DEBUG_FD_MEM) } },
    /* Interrupting: the look at the connection, and SIGIO's handler. */
    { TENDER_SYSCALL(recvfrom), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_GDB),
        TENDER_ARG_IS(3, MSG_DONTWAIT) } },
    { TENDER_SYSCALL(rt_sigreturn), 0, { { 0 } } },
    /* Hanging up on detach (gdb_hang_up()). */
    { TENDER_SYSCALL(close), 1, { TENDER_ARG_IS(0, HVT_DEBUG_FD_GDB) } },
    /* Registers, breakpoints and single steps. */
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_SET_REGS) } },
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_SET_SREGS) } },
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_SET_FPU) } },
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_GET_XSAVE) } },
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_SET_XSAVE) } },
    { TENDER_SYSCALL(ioctl), 2, { TENDER_ARG_IS(0, HVT_DEBUG_FD_VCPU),
        TENDER_ARG_IS(1, KVM_SET_GUEST_DEBUG) } },
};

const struct tender_seccomp_table hvt_gdb_seccomp_rules =
    TENDER_SECCOMP_TABLE(hvt_gdb_rules);

/* --- Registers. --- */

static void gdb_read_registers(struct hvt *h, char *reply)
{
    uint8_t buf[HVT_GDB_PACKET_MAX / 2];
    struct tender_err ignored;

    if (hvt_gdb_regs_get(h, buf, &ignored) != 0)
        strcpy(reply, "E01");
    else
        hvt_gdb_to_hex(reply, buf, hvt_gdb_regs_size());
}

static void gdb_write_registers(struct hvt *h, const char *hex, char *reply)
{
    uint8_t buf[HVT_GDB_PACKET_MAX / 2];
    struct tender_err ignored;
    size_t n = strlen(hex) / 2;

    /* A short G leaves the registers it does not cover as they are. */
    if (strlen(hex) % 2 != 0 || n > hvt_gdb_regs_size() ||
            hvt_gdb_regs_get(h, buf, &ignored) != 0 ||
            !hvt_gdb_from_hex(buf, hex, n) ||
            hvt_gdb_regs_set(h, buf, &ignored) != 0)
        strcpy(reply, "E01");
    else
        strcpy(reply, "OK");
}

/* p n / P n=value */
static void gdb_one_register(struct hvt *h, const char *pkt, char *reply)
{
    uint8_t buf[HVT_GDB_PACKET_MAX / 2];
    struct tender_err ignored;
    const char *p = pkt + 1;
    uint64_t n;
    size_t off, size;

    strcpy(reply, "E01");
    if (!hvt_gdb_parse_hex(&p, &n) || n > UINT32_MAX ||
            hvt_gdb_reg_slot((unsigned)n, &off, &size) != 0 ||
            hvt_gdb_regs_get(h, buf, &ignored) != 0)
        return;
    if (pkt[0] == 'p') {
        hvt_gdb_to_hex(reply, buf + off, size);
        return;
    }
    if (*p++ != '=' || strlen(p) != 2 * size ||
            !hvt_gdb_from_hex(buf + off, p, size) ||
            hvt_gdb_regs_set(h, buf, &ignored) != 0)
        return;
    strcpy(reply, "OK");
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void gdb_xfer_features(const char *args, char *reply)
{
    static const char annex[] = "target.xml:";
    size_t total = strlen(hvt_gdb_target_xml);
    uint64_t off, len;

    if (strncmp(args, annex, strlen(annex)) != 0) {
        strcpy(reply, "E00");
        return;
    }
    args += strlen(annex);
    if (!hvt_gdb_parse_hex(&args, &off) || *args++ != ',' ||
            !hvt_gdb_parse_hex(&args, &len)) {
        strcpy(reply, "E01");
        return;
    }
    if (off >= total) {
        strcpy(reply, "l");
        return;
    }
    if (len > HVT_GDB_PACKET_MAX - 1)
        len = HVT_GDB_PACKET_MAX - 1;
    if (len > total - off)
        len = total - off;
    reply[0] = off + len < total ? 'm' : 'l';
    memcpy(reply + 1, hvt_gdb_target_xml + off, len);
    reply[1 + len] = '\0';
}

/* --- Resuming. --- */

static int gdb_resume(struct hvt *h, struct hvt_debug *d, const char *pkt,
        struct tender_err *err)
{
    const char *p = pkt + 1;
    uint64_t addr, sig;

    /* C sig[;addr] and S sig[;addr]: the guest has no signals to take. */
    if ((pkt[0] == 'C' || pkt[0] == 'S') && hvt_gdb_parse_hex(&p, &sig) &&
            *p == ';')
        p++;
    if (hvt_gdb_parse_hex(&p, &addr) && hvt_gdb_set_pc(h, addr, err) != 0)
        return -1;
    d->step = pkt[0] == 's' || pkt[0] == 'S';
    d->watch_stepping = false;
    /* Look at the input once before the guest runs: an interrupt byte may
     * already be buffered behind this packet. */
    *(volatile __u8 *)&h->run->immediate_exit = 1;
    for (unsigned i = 0; i < HVT_GDB_HW_MAX; i++) {
        if (d->hw[i].used && d->hw[i].type == HVT_GDB_WATCH_WRITE) {
            hvt_gdb_snapshot_watch(h, &d->hw[i]);
            d->watch_stepping = true;
        }
    }
    return hvt_gdb_arch_debug(h, d, err);
}

/* The connection is done with: closed, so that nothing the peer still
 * sends wakes the vCPU (SIGIO) or POLL (the epoll set) any more. */
static void gdb_hang_up(struct hvt_debug *d)
{
    if (d->conn_fd >= 0)
        close(d->conn_fd);
    d->conn_fd = -1;
}

/* The debugger is gone: the guest runs on, undebugged. */
static void gdb_lost(struct tender *t, struct hvt_debug *d)
{
    if (d->conn_fd < 0)
        return;
    hvt_gdb_clear_all(hvt_of(t), d);
    gdb_hang_up(d);
    tender_warn(t, "gdb: the debugger is gone; the guest runs on");
}

/*
 * Reports `stop` and serves the debugger until it resumes, detaches or
 * kills the guest.
 */
static int gdb_serve(struct tender *t, const char *stop, enum gdb_next *next,
        struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    char pkt[HVT_GDB_PACKET_MAX + 8];
    char reply[HVT_GDB_PACKET_MAX + 8];

    *next = GDB_RESUME;
    /* "" at the start: gdb asks with "?" and gets d->last. */
    if (stop[0] != '\0') {
        snprintf(d->last, sizeof(d->last), "%s", stop);
        if (hvt_gdb_send(d, stop) != 0) {
            gdb_lost(t, d);
            return 0;
        }
    }
    for (;;) {
        if (hvt_gdb_recv(d, pkt, sizeof(pkt)) < 0) {
            gdb_lost(t, d);
            return 0;
        }
        reply[0] = '\0';
        switch (pkt[0]) {
        case '?':
            strcpy(reply, d->last);
            break;
        case 'g':
            gdb_read_registers(h, reply);
            break;
        case 'G':
            gdb_write_registers(h, pkt + 1, reply);
            break;
        case 'p':
        case 'P':
            gdb_one_register(h, pkt, reply);
            break;
        case 'm':
            hvt_gdb_read_memory(h, d, pkt + 1, reply);
            break;
        case 'M':
            hvt_gdb_write_memory(h, d, pkt + 1, reply);
            break;
        case 'Z':
        case 'z':
            hvt_gdb_breakpoint(h, d, pkt, reply);
            break;
        case 'c':
        case 's':
        case 'C':
        case 'S':
            return gdb_resume(h, d, pkt, err);
        case 'D':
            hvt_gdb_send(d, "OK");
            hvt_gdb_clear_all(h, d);
            gdb_hang_up(d);
            return 0;
        case 'k':
            gdb_hang_up(d);
            *next = GDB_KILL;
            return 0;
        case 'H':
            strcpy(reply, "OK");
            break;
        case 'T':
            strcpy(reply, "OK");
            break;
        case 'v':
            if (strncmp(pkt, "vKill", 5) == 0) {
                hvt_gdb_send(d, "OK");
                gdb_hang_up(d);
                *next = GDB_KILL;
                return 0;
            }
            break;
        case 'q':
            if (strncmp(pkt, "qSupported", 10) == 0)
                snprintf(reply, sizeof(reply), "PacketSize=%x;"
                        "qXfer:features:read+;swbreak+;hwbreak+",
                        HVT_GDB_PACKET_MAX);
            else if (strncmp(pkt, "qXfer:features:read:", 20) == 0)
                gdb_xfer_features(pkt + 20, reply);
            else if (strncmp(pkt, "qAttached", 9) == 0)
                strcpy(reply, "0");
            break;
        default:
            break;
        }
        if (hvt_gdb_send(d, reply) != 0) {
            gdb_lost(t, d);
            return 0;
        }
    }
}

static int gdb_stop(struct tender *t, const char *stop, struct tender_err *err)
{
    enum gdb_next next;

    if (gdb_serve(t, stop, &next, err) != 0)
        return -1;
    if (next == GDB_KILL)
        return tender_err_set(err, "gdb: the debugger killed the guest");
    return 0;
}

int hvt_gdb_start(struct tender *t, struct tender_err *err)
{
    /* gdb asks with "?" first: the answer is this SIGTRAP. */
    snprintf(hvt_debug_of(t)->last, sizeof(hvt_debug_of(t)->last), "S05");
    return gdb_stop(t, "", err);
}

static const char *gdb_watch_kind(enum hvt_gdb_bp_type type)
{
    return type == HVT_GDB_WATCH_READ ? "rwatch" :
        type == HVT_GDB_WATCH_ACCESS ? "awatch" : "watch";
}

/* KVM_RUN returned EINTR: a signal, SIGIO if the debugger sent bytes. */
static int gdb_interrupted(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    int rc;

    /* Cleared before the look: a byte arriving after it sets it again. */
    *(volatile __u8 *)&h->run->immediate_exit = 0;
    if (d->conn_fd < 0)
        return 1;
    rc = hvt_gdb_poll_break(d);
    if (rc < 0) {
        gdb_lost(t, d);
        return 1;
    }
    if (rc == 0)
        return 1;
    /* SIGINT, with the registers where the guest was. */
    return gdb_stop(t, "T02", err) == 0 ? 1 : -1;
}

int hvt_gdb_vmexit(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    struct hvt_debug *d = h->debug;
    const struct hvt_gdb_hw *w;
    char stop[64];
    unsigned dr_hit;
    bool step, int3;
    int rc = 0;

    /* Also once detached: immediate_exit must not stay set. */
    if (h->run->exit_reason == KVM_EXIT_INTR)
        return gdb_interrupted(t, err);
    if (d->conn_fd < 0)
        return 0;
    if (h->run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
        /* kvm-pvm: an int3 at CPL0 cannot be emulated. */
        if (hvt_gdb_sw_at(d, hvt_gdb_get_pc(h)) == NULL)
            return 0;
        return gdb_stop(t, "T05swbreak:;", err) == 0 ? 1 : -1;
    }
    if (h->run->exit_reason != KVM_EXIT_DEBUG)
        return 0;
    hvt_gdb_arch_exit(h, &dr_hit, &step, &int3);
    w = hvt_gdb_watch_changed(h, d);
    for (unsigned i = 0; w == NULL && i < HVT_GDB_HW_MAX; i++)
        if ((dr_hit & (1U << i)) && d->hw[i].used &&
                d->hw[i].type != HVT_GDB_BP_HW)
            w = &d->hw[i];
    if (int3) {
        snprintf(stop, sizeof(stop), "T05swbreak:;");
    } else if (w != NULL) {
        snprintf(stop, sizeof(stop), "T05%s:%llx;", gdb_watch_kind(w->type),
                (unsigned long long)w->addr);
    } else if (dr_hit != 0) {
        snprintf(stop, sizeof(stop), "T05hwbreak:;");
    } else if (step && !d->step) {
        return 1;       /* only stepping for the write watchpoints */
    } else {
        snprintf(stop, sizeof(stop), "T05");
    }
    rc = gdb_stop(t, stop, err);
    return rc == 0 ? 1 : -1;
}

int hvt_gdb_done(struct tender *t, int status, struct tender_err *err)
{
    struct hvt_debug *d = hvt_debug_of(t);
    struct tender_err ignored;
    char msg[8];

    (void)err;      /* the tender reports it once the debugger is done */
    if (d->conn_fd < 0)
        return status;
    if (status >= 0) {
        snprintf(msg, sizeof(msg), "W%02x", status & 0xff);
        hvt_gdb_send(d, msg);
        gdb_hang_up(d);
        return status;
    }
    /* A fatal exit (err says which): the debugger may look at the guest
     * before the tender reports it and exits. */
    if (gdb_stop(t, "T0b", &ignored) == 0 && d->conn_fd >= 0)
        hvt_gdb_send(d, "X0b");
    gdb_hang_up(d);
    return status;
}

const struct tender_module hvt_module_gdb = {
    .name = "gdb",
    .handle_cmdarg = gdb_cmdarg,
    .setup = gdb_setup,
    .usage = "    [ --gdb ] (wait for a GDB remote protocol debugger "
            "before the guest starts)\n"
            "    [ --gdb-port=1234 ] (TCP port for --gdb; 0 picks a free "
            "one; implies --gdb)\n"
            "    [ --gdb-addr=127.0.0.1 ] (address to listen on; implies "
            "--gdb)\n",
};
