/*
 * hvt_debug.h: solo5-hvt-debug, solo5-hvt plus two modules (ref §2.12):
 *
 *   gdb       --gdb, --gdb-port=N, --gdb-addr=ADDR: a GDB remote protocol
 *             server that waits for the debugger before the guest runs
 *             (hvt_gdb.c: module and packets, hvt_gdb_rsp.c: framing,
 *             hvt_gdb_mem.c: memory and breakpoints, hvt_gdb_<arch>.c:
 *             registers and debug registers);
 *   dumpcore  --dumpcore=DIR: an ELF core of the guest when it aborts or
 *             traps (status 255; hvt_dumpcore*.c).
 *
 * They hook into the run through struct hvt_hooks (hvt.h).  The seccomp
 * filter is solo5-hvt's plus only the rule tables of the modules given on
 * the command line (hvt_gdb_seccomp_rules, hvt_dumpcore_seccomp_rules, and
 * the register reads both need: data, like solo5-hvt's own rules); the
 * fds those rules name are moved to fixed numbers (HVT_DEBUG_FD_*) first,
 * because the tables are constants.  docs/debugging.md lists the
 * differences.
 */
#ifndef HVT_DEBUG_H
#define HVT_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvt.h"
#include "tender_seccomp.h"

/* Fixed fd numbers for the filter (checked free before use). */
#define HVT_DEBUG_FD_VCPU 500
#define HVT_DEBUG_FD_GDB 501        /* the debugger's connection */
#define HVT_DEBUG_FD_MEM 502        /* /proc/self/mem: writes to guest .text */
#define HVT_DEBUG_FD_DUMPDIR 503    /* --dumpcore=DIR */
#define HVT_DEBUG_FD_CORE 504       /* the core file, once created */

/* The flags the core file is created with (the filter pins them). */
#define HVT_DUMPCORE_OPEN_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC)

#define HVT_GDB_DEFAULT_PORT 1234
#define HVT_GDB_SW_MAX 64           /* software breakpoints */
#define HVT_GDB_HW_MAX 4            /* DR0-DR3 */
#define HVT_GDB_PACKET_MAX 4096     /* our PacketSize */
#define HVT_GDB_BREAK 0x03          /* gdb's interrupt (Ctrl-C), unframed */

/* Z/z types (GDB remote protocol). */
enum hvt_gdb_bp_type {
    HVT_GDB_BP_SW = 0,
    HVT_GDB_BP_HW = 1,
    HVT_GDB_WATCH_WRITE = 2,
    HVT_GDB_WATCH_READ = 3,
    HVT_GDB_WATCH_ACCESS = 4,
};

struct hvt_gdb_sw {
    bool used;
    uint64_t addr;
    uint8_t orig;
};

struct hvt_gdb_hw {
    bool used;
    enum hvt_gdb_bp_type type;
    uint64_t addr;
    unsigned len;               /* 1, 2, 4 or 8 */
    uint8_t old[8];             /* write watchpoints: the value last seen */
};

struct hvt_debug {
    /* gdb */
    bool gdb;
    const char *gdb_addr;
    unsigned gdb_port;
    int listen_fd;
    int conn_fd;                /* -1 once detached */
    int mem_fd;
    bool step;                  /* gdb asked for one step */
    bool watch_stepping;        /* stepping to check write watchpoints */
    struct hvt_gdb_sw sw[HVT_GDB_SW_MAX];
    struct hvt_gdb_hw hw[HVT_GDB_HW_MAX];
    char in[HVT_GDB_PACKET_MAX + 8];
    size_t in_len, in_pos;
    char last[HVT_GDB_PACKET_MAX + 8];  /* the last stop reply */
    /* dumpcore */
    const char *dump_dir;
    int dump_dirfd;
    pid_t pid;
    /* The hooks for the options given, and the filter rules they add. */
    struct hvt_hooks hooks;
    struct tender_seccomp_table rules[3];
};

static inline struct hvt_debug *hvt_debug_of(struct tender *t)
{
    return hvt_of(t)->debug;
}

/* hvt_debug_main.c: sets h->hooks for the modules in use (each module's
 * setup calls it). */
void hvt_debug_select_hooks(struct hvt *h);
/* hvt_debug_main.c: moves `*fd` to `target` (must be free). */
int hvt_debug_pin_fd(int *fd, int target, const char *what,
        struct tender_err *err);

/* hvt_gdb.c */
extern const struct tender_module hvt_module_gdb;
int hvt_gdb_before_seccomp(struct tender *t, struct tender_err *err);
extern const struct tender_seccomp_table hvt_gdb_seccomp_rules;
int hvt_gdb_start(struct tender *t, struct tender_err *err);
int hvt_gdb_vmexit(struct tender *t, struct tender_err *err);
int hvt_gdb_done(struct tender *t, int status, struct tender_err *err);

/* hvt_gdb_rsp.c: the connection (d->conn_fd).  -1: the debugger is gone. */
int hvt_gdb_getc(struct hvt_debug *d);
/* While the guest runs: 1 if the debugger sent its interrupt byte (taken
 * from the input), 0 if not (yet), -1 if it is gone. */
int hvt_gdb_poll_break(struct hvt_debug *d);
int hvt_gdb_write(struct hvt_debug *d, const char *buf, size_t len);
/* Sends one packet (NUL-terminated data) and waits for its ack. */
int hvt_gdb_send(struct hvt_debug *d, const char *data);
/* Receives one packet into pkt (NUL-terminated); returns its length. */
int hvt_gdb_recv(struct hvt_debug *d, char *pkt, size_t size);
/* Parses hex digits at *p (advanced past them); false if none. */
bool hvt_gdb_parse_hex(const char **p, uint64_t *v);
void hvt_gdb_to_hex(char *out, const uint8_t *in, size_t n);
bool hvt_gdb_from_hex(uint8_t *out, const char *in, size_t n);

/* hvt_gdb_mem.c: m, M, Z, z (each writes the reply), and the helpers the
 * server needs around them. */
void hvt_gdb_read_memory(struct hvt *h, struct hvt_debug *d,
        const char *args, char *reply);
void hvt_gdb_write_memory(struct hvt *h, struct hvt_debug *d,
        const char *args, char *reply);
void hvt_gdb_breakpoint(struct hvt *h, struct hvt_debug *d, const char *pkt,
        char *reply);
struct hvt_gdb_sw *hvt_gdb_sw_at(struct hvt_debug *d, uint64_t addr);
/* Removes every breakpoint and stops debugging the vCPU (detach). */
void hvt_gdb_clear_all(struct hvt *h, struct hvt_debug *d);
void hvt_gdb_snapshot_watch(struct hvt *h, struct hvt_gdb_hw *w);
/* A write watchpoint whose bytes changed since the last look, or NULL. */
const struct hvt_gdb_hw *hvt_gdb_watch_changed(struct hvt *h,
        struct hvt_debug *d);

/* hvt_gdb_<arch>.c: the register block, target description, debug
 * registers and what a KVM debug exit means. */
extern const char hvt_gdb_target_xml[];
size_t hvt_gdb_regs_size(void);
/* Register n's offset and size in the block; -1 if there is no such. */
int hvt_gdb_reg_slot(unsigned n, size_t *off, size_t *size);
int hvt_gdb_regs_get(struct hvt *h, uint8_t *buf, struct tender_err *err);
int hvt_gdb_regs_set(struct hvt *h, const uint8_t *buf,
        struct tender_err *err);
/* Sets the guest's program counter (for "c ADDR" / "s ADDR"). */
int hvt_gdb_set_pc(struct hvt *h, uint64_t pc, struct tender_err *err);
uint64_t hvt_gdb_get_pc(struct hvt *h);
/* KVM_SET_GUEST_DEBUG from the breakpoints and the stepping state. */
int hvt_gdb_arch_debug(struct hvt *h, struct hvt_debug *d,
        struct tender_err *err);
/* Checks a hardware breakpoint/watchpoint request (x86: aligned, length
 * 1/2/4/8, exec length 1). */
bool hvt_gdb_hw_ok(enum hvt_gdb_bp_type type, uint64_t addr, unsigned len);
/* For a KVM_EXIT_DEBUG: which DRn fired (bitmask), whether it was a
 * single step, whether it was an int3. */
void hvt_gdb_arch_exit(const struct hvt *h, unsigned *dr_hit, bool *step,
        bool *int3);

/* hvt_dumpcore.c */
extern const struct tender_module hvt_module_dumpcore;
int hvt_dumpcore_before_seccomp(struct tender *t, struct tender_err *err);
extern const struct tender_seccomp_table hvt_dumpcore_seccomp_rules;
int hvt_dumpcore_done(struct tender *t, int status, struct tender_err *err);

/* hvt_dumpcore_<arch>.c: fills the NT_PRSTATUS note's registers, from the
 * trap frame at `cookie` in guest memory if the guest passed one. */
struct elf_prstatus;
int hvt_dumpcore_prstatus(struct hvt *h, uint64_t cookie,
        struct elf_prstatus *ps, struct tender_err *err);
/* The HALT cookie of the exit the guest ended with (0 if none). */
uint64_t hvt_dumpcore_cookie(struct hvt *h);

#endif /* HVT_DEBUG_H */
