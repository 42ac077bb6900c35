/*
 * hvt.h: solo5-hvt, the tender that runs a unikernel in a KVM virtual
 * machine (one VM, one vCPU; ref §2).
 *
 * Guest-physical memory is one host mapping of mem_size bytes at
 * hvt->mem; GPA 0 is hvt->mem[0].  The guest talks to the tender through
 * hypercalls (x86_64: a 32-bit OUT to port 0x500 + nr; aarch64: a 32-bit
 * store to the MMIO address 0x100000000 + 8 * nr; either carries the GPA
 * of an argument struct) and, when offered, the I/O rings (hvt_ring.c: a
 * second memory slot right after guest memory, served by an I/O thread);
 * every guest address is checked by hvt_gpa() before the tender touches
 * it.  What differs between architectures is in the *_<arch>.c files:
 * hvt_kvm_<arch>.c, hvt_cpu_<arch>.c, hvt_exit_<arch>.c.
 */
#ifndef HVT_H
#define HVT_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HVT_HOST
#include "hvt_abi.h"
#include "tender.h"

/* Guest memory is sized in 2 MiB steps (the guest's large pages). */
#define HVT_MEM_ALIGN (2ULL << 20)
#define HVT_MEM_MIN HVT_MEM_ALIGN
/* Four page directories map at most 4 GiB; hypercall GPAs are 32-bit. */
#define HVT_MEM_MAX (4ULL << 30)

/* Segments the guest may not write, at most; the executable ones are
 * among them. */
#define HVT_RO_MAX 16

struct hvt_range {
    uint64_t start, end;        /* [start, end) */
};

/* Whether one of the n ranges r holds addr (hvt_mem.c). */
bool hvt_ranges_hold(const struct hvt_range *r, unsigned n, uint64_t addr);

struct tender_seccomp_table;

/*
 * solo5-hvt-debug's gdb and dumpcore modules (hvt_debug.h) hook into the
 * run; solo5-hvt has none (hooks == NULL).  Each may be NULL.
 */
struct hvt_hooks {
    /* Before the filter is built: last chance for open/accept/dup. */
    int (*before_seccomp)(struct tender *t, struct tender_err *err);
    /* More rules for the filter (tender_seccomp_policy.extra). */
    const struct tender_seccomp_table *seccomp_rules;
    size_t n_seccomp_rules;
    /* Under the filter, before the first KVM_RUN. */
    int (*start)(struct tender *t, struct tender_err *err);
    /* Every exit first (a KVM_RUN ended by a signal as KVM_EXIT_INTR):
     * 1 handled (resume), 0 not ours, -1 fatal. */
    int (*vmexit)(struct tender *t, struct tender_err *err);
    /* The guest is done: status, or -1 with err set; returns the same. */
    int (*done)(struct tender *t, int status, struct tender_err *err);
};

/* hvt_affinity.c: the I/O thread stays off the vCPU thread's CPU. */
struct hvt_affinity {
    cpu_set_t allowed;          /* the tender's CPUs at start */
    bool usable;                /* two or more of them */
    int vcpu_cpu;               /* where the vCPU thread last entered KVM_RUN */
    int excluded;               /* the CPU the I/O thread avoids now */
};
void hvt_affinity_init(struct hvt_affinity *a);
/* hvt_helper.c: a helper thread for the start's background work, started
 * on another CPU than the caller's; 0, or -1 if it could not be. */
int hvt_helper_start(pthread_t *thread, void *(*fn)(void *), void *arg);
void hvt_affinity_note_vcpu(struct hvt_affinity *a);
void hvt_affinity_avoid_vcpu(struct hvt_affinity *a);

/*
 * hvt_kvm_slot.c: guest memory's KVM slots.  Registered on a helper thread
 * while the vCPU is set up: all of guest memory as slot 0, or, with memory
 * on demand, slot 0 [0, low_end) and slot 2 [high_start, mem_size) only,
 * the rest [low_end, high_start) becoming slot 3 at the guest's first
 * touch of it.  Slot 1 (the I/O rings') is registered after them.
 */
struct hvt_kvm_slot_later {
    uint64_t gpa, size;         /* size 0: none */
    void *host;
    const char *what;           /* for the error message */
};
struct hvt_kvm_slot {
    bool started;               /* on its thread (else at the join) */
    pthread_t thread;
    int rc, error;              /* the first failed ioctl's, errno */
    const char *failed;         /* which slot failed, for the message */
    uint64_t low_end, high_start;   /* equal: no memory on demand */
    bool rest_online;           /* slot 3 registered */
    struct hvt_kvm_slot_later later;
};

struct hvt {
    int kvm_fd, vm_fd, vcpu_fd;
    int kvm_open_errno;         /* hvt_kvm_prepare()'s open, if it failed */
    struct hvt_kvm_slot slot;   /* guest memory's slots */
    struct kvm_run *run;        /* the vCPU's shared run area */
    size_t run_size;
    uint8_t *mem;               /* guest-physical 0 */
    uint64_t mem_size;
    uint64_t cycle_hz;          /* the guest's cycle counter (TSC, CNTVCT) */
    struct hvt_range ro[HVT_RO_MAX];
    unsigned n_ro;
    struct hvt_range x[HVT_RO_MAX];     /* executable segments (never W) */
    unsigned n_x;
    bool user_mode;             /* offer HVT_FEATURE_USER_MODE (U pages) */
    /* x86_64, with user_mode: start a guest that has a user-start header
     * at CPL3 (hvt_user_start_x86_64.c; solo5-hvt only, not -debug). */
    bool user_start;
    int epoll_fd, timer_fd;     /* POLL: the timer plus every NET device */
    bool has_block, has_net;    /* which device hypercalls are registered */
    /* I/O rings (hvt_ring.c): offered if io_rings (solo5-hvt only, not
     * -debug) and the guest runs at CPL3; ring is NULL when not offered. */
    bool io_rings;
    struct hvt_ring *ring;
    struct hvt_console *console;    /* the console ring, or NULL */
    struct hvt_kvm_cpuid *kvm_cpuid;    /* x86_64: hvt_kvm_cpuid_x86_64.c */
    struct hvt_prefault *prefault;      /* hvt_mem_prefault.c, while it runs */
    int ring_kick_fd, ring_rx_fd;
    int ring_poll_fd;           /* POLL's once the guest uses the rings */
    int ring_watch_fd;          /* the I/O thread's sleep: kick and taps */
    unsigned ring_kick_exits;   /* kicks that reached the run loop */
    int ring_polling;           /* the vCPU thread is in POLL (atomic) */
    uint32_t busy_poll_us;      /* --busy-poll (hvt_options.c) */
    bool hugepages;             /* --hugepages (hvt_options.c) */
    /* Register guest memory past the image's first MiBs and below the
     * stack only when the guest touches it (hvt_kvm_slot.c; solo5-hvt
     * only, where the architecture can, not -debug). */
    bool mem_on_demand;
    struct hvt_affinity affinity;   /* with the I/O rings */
    const struct hvt_hooks *hooks;  /* NULL in solo5-hvt */
    void *debug;                /* the hooks' state */
};

static inline struct hvt *hvt_of(struct tender *t)
{
    return t->priv;
}

/* hvt_mem.c: sizing, allocation, protections and the checked-GPA helper. */

/*
 * Turns --mem (MiB) into guest memory bytes: rounded down to 2 MiB, at
 * least 2 MiB, at most 4 GiB.  *adjusted tells whether rounding changed it.
 */
int hvt_mem_round(uint64_t mib, uint64_t *bytes, bool *adjusted,
        struct tender_err *err);
int hvt_mem_size(uint64_t mib, uint64_t *bytes, struct tender_err *err);
int hvt_mem_setup(struct tender *t, uint64_t bytes, struct tender_err *err);
/* hvt_mem_prefault.c: the huge pages of an image ending at kernel_end
 * faulted in on a helper thread from guest memory's mapping on; joined
 * before the seccomp filter. */
void hvt_mem_prefault_start(struct hvt *h, uint64_t kernel_end);
void hvt_mem_prefault_join(struct hvt *h);
int hvt_protect(void *ctx, uint64_t gpa, uint64_t size, uint32_t pf_flags,
        struct tender_err *err);

/* How the tender is going to use guest memory it was pointed at. */
enum hvt_access {
    HVT_READ,       /* the tender reads it: anywhere in guest memory */
    HVT_WRITE,      /* the tender writes it: guest RAM the guest may write */
};

/*
 * The one check every guest pointer goes through: returns the host address
 * of guest [gpa, gpa + len), or NULL (err set to "Invalid guest access:
 * gpa=0x..., sz=...") if any byte of it lies outside what `access` allows.
 * Overflow-safe for any 64-bit gpa and len.
 */
void *hvt_gpa(const struct hvt *h, uint64_t gpa, uint64_t len,
        enum hvt_access access, struct tender_err *err);

/* hvt_backend.c: solo5-hvt as a tender_main() backend. */
extern const struct tender_backend hvt_backend;

/* hvt_options.c: hvt's own options (--busy-poll). */
extern const struct tender_module hvt_module_core;
/* Parses the value of --busy-poll=: decimal microseconds, at most
 * HVT_BUSY_POLL_US_MAX. */
int hvt_parse_busy_poll(const char *value, uint32_t *us,
        struct tender_err *err);

/* hvt_kvm.c: /dev/kvm opened early (the backend's prepare: the
 * architecture's hvt_kvm_arch_open() then starts), the VM, its memory
 * slots (hvt_kvm_slot.c) and the vCPU. */
void hvt_kvm_prepare(struct tender *t);
int hvt_kvm_init(struct hvt *h, struct tender_err *err);
/* hvt_kvm_slot.c: hvt_kvm_slot_plan() picks the slots (before the VM
 * exists), hvt_kvm_slot_start() registers them in the background; slot 1
 * is queued for the join, which registers it after them and reports a
 * failure of any (before the first KVM_RUN).  hvt_kvm_slot_touch(): the
 * guest touched [gpa, gpa + len) without a slot; 1 if that is memory on
 * demand (now registered: the caller completes the access), 0 if not, -1
 * on failure.  hvt_kvm_slot_rest_online(): registers the rest now; 1 if it
 * was not yet, 0 if it was (or there is none), -1 on failure. */
void hvt_kvm_slot_plan(struct hvt *h, uint64_t kernel_end);
void hvt_kvm_slot_start(struct hvt *h);
void hvt_kvm_slot_later(struct hvt *h, uint64_t gpa, uint64_t size,
        void *host, const char *what);
int hvt_kvm_slot_touch(struct hvt *h, uint64_t gpa, uint64_t len,
        struct tender_err *err);
int hvt_kvm_slot_rest_online(struct hvt *h, struct tender_err *err);
int hvt_kvm_slot_join(struct hvt *h, struct tender_err *err);
/* Fails with "KVM: kernel does not support <name>" without `cap`. */
int hvt_kvm_need(const struct hvt *h, int cap, const char *name,
        struct tender_err *err);

/* hvt_kvm_<arch>.c: the architecture's part of the vCPU set-up, once the
 * vCPU exists (sets h->cycle_hz); and the host's cycle counter and spin
 * hint, for the I/O thread's busy waits (hvt_ring.c). */
int hvt_kvm_arch_vcpu(struct hvt *h, struct tender_err *err);
/* Once /dev/kvm is open: the architecture may start what needs nothing
 * else, in the background (x86_64: KVM_GET_SUPPORTED_CPUID). */
void hvt_kvm_arch_open(struct hvt *h);
/* Once the VM exists: whether the architecture's exits can serve memory
 * on demand (x86_64: emulation failures exit to the tender, where the
 * instruction can be run again once the memory is there). */
bool hvt_kvm_arch_on_demand(struct hvt *h);
uint64_t hvt_host_cycles(void);
void hvt_host_relax(void);

/* hvt_cpu_<arch>.c: guest page tables, GDT and the initial vCPU state;
 * whether the architecture can offer HVT_FEATURE_USER_MODE (x86_64's
 * CPL3 guests; the I/O rings need it too). */
int hvt_cpu_setup(struct hvt *h, uint64_t entry, struct tender_err *err);
extern const bool hvt_cpu_has_user_mode;

/* Whether the guest's page tables alone keep read-only segments read-only
 * (x86_64: they are out of the guest's reach and CR0.WP binds CPL0 too);
 * otherwise (aarch64, whose guest owns its stage-1 tables at EL1) the host
 * maps them read-only as well.  hvt_mem_host_ro() is that host mapping,
 * for [gpa, gpa + size) of those segments. */
extern const bool hvt_cpu_maps_read_only;
int hvt_mem_host_ro(struct hvt *h, uint64_t gpa, uint64_t size,
        struct tender_err *err);

/* hvt_exit_<arch>.c: the architecture's exits.  hvt_exit() handles the
 * exit in h->run after KVM_RUN returned: 0 to resume the guest, 1 when it
 * halted (*status set), -1 (err set) to stop it.  hvt_pc() is the guest's
 * program counter for messages (~0 if KVM cannot tell), read with the
 * vCPU ioctl hvt_pc_ioctl (which the seccomp policy allows) and named
 * hvt_pc_name ("rip", "pc").  The I/O rings' kick is the KVM_IOEVENTFD
 * that hvt_exit_kick_ioeventfd() describes. */
struct kvm_ioeventfd;
int hvt_exit(struct tender *t, int *status, struct tender_err *err);
uint64_t hvt_pc(const struct hvt *h);
extern const char hvt_pc_name[];
extern const unsigned long hvt_pc_ioctl;
void hvt_exit_kick_ioeventfd(struct kvm_ioeventfd *kick);

/* hvt_boot.c: the boot info, manifest copy and command line. */
int hvt_boot_info(struct tender *t, struct tender_err *err);

/* hvt_hypercall.c: handles hypercall `nr` with argument GPA `gpa`.
 * Returns 0 to resume the guest, 1 when the guest halted (*status set),
 * -1 (err set) when the guest must be stopped. */
int hvt_hypercall(struct tender *t, unsigned nr, uint64_t gpa, int *status,
        struct tender_err *err);
int hvt_poll_setup(struct tender *t, struct tender_err *err);

/* hvt_ring.c: the I/O rings (HVT_FEATURE_IO_RINGS). */
struct sock_fprog;
int hvt_ring_setup(struct tender *t, struct tender_err *err);
/* The part of hvt_ring_setup() that needs no VM: allocates the area and
 * lays out the slots; *ring stays NULL if no rings are offered. */
int hvt_ring_layout(struct tender *t, struct hvt_ring **ring,
        struct tender_err *err);
/* Undoes hvt_ring_layout() (a tender never needs to: for harnesses). */
void hvt_ring_free(struct hvt_ring *r);
/* What one pass of the I/O thread found: a block request, any work at all
 * (block, TX, the guest turning the rings on), frames received. */
struct hvt_ring_pass {
    bool block, work, rx;
};
/* One pass over the rings (the I/O thread's loop body): -1 with err set
 * when the guest queued something malformed (the thread then ends the
 * process, status 1). */
int hvt_ring_serve(struct hvt *h, struct hvt_ring_pass *pass,
        struct tender_err *err);
uint64_t hvt_ring_gpa(const struct hvt *h);
uint64_t hvt_ring_size(const struct hvt *h);
/* The area's host mapping (size hvt_ring_size()), or NULL. */
struct hvt_ring_area *hvt_ring_host_area(const struct hvt *h);
/* The I/O thread, created asleep as soon as the rings are set up, long
 * before the seccomp filter is installed for every thread; wait_up()
 * before the filter, go() wakes it once the filter is in place. */
int hvt_ring_start(struct tender *t, struct tender_err *err);
void hvt_ring_wait_up(struct hvt *h);
void hvt_ring_go(struct hvt *h);
/* A kick that reached the run loop (-1 with err for a malformed entry). */
int hvt_ring_kick_exit(struct hvt *h, struct tender_err *err);
/* HALT: sends and writes out everything the guest queued (-1 with err for
 * a malformed entry). */
int hvt_ring_drain(struct hvt *h, struct tender_err *err);
uint64_t hvt_ring_rx_ready(const struct hvt *h);
bool hvt_ring_guest_on(const struct hvt *h);
/* Every exit: the vCPU thread sends the frames and writes out the console
 * bytes the guest queued (-1 with err for a malformed entry). */
int hvt_ring_at_exit(struct hvt *h, struct tender_err *err);
/* POLL's side: RX filled by the vCPU thread (-1 with err for a malformed
 * entry), *ready the handles with frames. */
int hvt_ring_poll_begin(struct hvt *h, uint64_t *ready,
        struct tender_err *err);
int hvt_ring_poll_fill(struct hvt *h, uint64_t *ready,
        struct tender_err *err);
uint64_t hvt_ring_poll_end(struct hvt *h);
/* The I/O thread's sleep set (the kick), and each tap added to it after
 * POLL's own set has it (hvt_poll_setup(): POLL is woken first). */
int hvt_ring_watch_setup(struct hvt *h, struct tender_err *err);
int hvt_ring_watch_tap(struct hvt *h, int tapfd, struct tender_err *err);

/* hvt_console.c: the console ring in the I/O ring area (set up by
 * hvt_ring_layout(); h->console stays NULL without rings). */
int hvt_console_layout(struct hvt *h, struct hvt_ring_console *ring,
        uint8_t *data, uint64_t data_gpa, struct tender_err *err);
void hvt_console_free(struct hvt *h);
bool hvt_console_pending(const struct hvt *h);
/* Writes out what the guest queued unless another thread is at it
 * (*work: this one wrote); -1 with err for a malformed index. */
int hvt_console_out(struct hvt *h, bool *work, struct tender_err *err);
/* Until everything queued is out (the vCPU thread, at an exit). */
int hvt_console_flush(struct hvt *h, struct tender_err *err);

/* hvt_run.c */
int hvt_run(struct tender *t, struct tender_err *err);
/* The exits every architecture has (entry failure, anything unknown):
 * ends the guest with one line; always -1. */
int hvt_exit_other(const struct hvt *h, struct tender_err *err);

/* hvt_seccomp.c: installs the policy (call last before the first KVM_RUN). */
int hvt_seccomp_install(struct tender *t, struct tender_err *err);

/* hvt_insn_<arch>.c: true if the bytes start an x87/SSE/MMX/AVX instruction
 * (a heuristic that only chooses the wording of a fatal message). */
bool hvt_insn_is_fpu(const uint8_t *insn, size_t len);

#endif /* HVT_H */
