/*
 * spt.h: solo5-spt, the sandboxed process tender.
 *
 * The guest runs in the tender's own address space (guest address X is
 * host address X) behind a seccomp filter that allows only the system
 * calls the spt bindings make, on the file descriptors they need.
 */
#ifndef SPT_H
#define SPT_H

#include <stdbool.h>
#include <sys/types.h>

#include "tender.h"

struct spt {
    bool exec_heap;             /* --x-exec-heap */
    int epollfd;
    int timerfd;
    uint64_t boot_info_end;     /* guest memory above it is free below
                                   SPT_GUEST_MIN_BASE (spt_launch.c) */
    const char *dump_dir;       /* --dumpcore (spt_dumpcore.c) */
    int dump_dirfd;
    pid_t dump_pid;
};

static inline struct spt *spt_of(struct tender *t)
{
    return t->priv;
}

/* spt_mem.c */
int spt_mem_size(uint64_t mib, uint64_t *bytes, struct tender_err *err);
int spt_mem_setup(struct tender *t, uint64_t bytes, struct tender_err *err);
int spt_protect(void *ctx, uint64_t gpa, uint64_t size, uint32_t pf_flags,
        struct tender_err *err);
int spt_boot_info(struct tender *t, struct tender_err *err);

/* spt_run.c */
int spt_run(struct tender *t, struct tender_err *err);

/* spt_seccomp.c: builds the filters as classic BPF into `prog` and
 * `bounds` (the block transfer bounds; see tender_seccomp.h). */
struct sock_fprog;
int spt_seccomp_build(struct tender *t, struct sock_fprog *prog,
        struct sock_fprog *bounds, size_t max_insns, struct tender_err *err);

/* spt_seccomp_<arch>.c: the architecture's extra rules. */
struct tender_seccomp_table;
extern const struct tender_seccomp_table spt_seccomp_arch_rules;

/* spt_dumpcore.c: --dumpcore=DIR, an option of the core module (so that
 * the module list stays upstream's).  spt_dumpcore_fork() runs right
 * before the filter is installed: with --dumpcore it returns 0 in a traced
 * child that goes on to be the guest, and the parent never returns (it
 * writes the core if needed and exits as the child did); without it, it
 * just returns 0. */
#define SPT_DUMPCORE_USAGE "    [ --dumpcore=DIR ] (write a core file of " \
    "the guest to DIR when it aborts or is killed by a signal)\n"
int spt_dumpcore_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err);
int spt_dumpcore_setup(struct tender *t, struct tender_err *err);
int spt_dumpcore_fork(struct tender *t, struct tender_err *err);

/* spt_launch.c: entering the guest with nothing of the tender left.
 * spt_launch_prepare() writes the launch code and block into guest memory
 * and points insns[0..1] at room for max_insns BPF instructions each;
 * spt_launch_set_filters() names the filters built there, in install
 * order; spt_launch_detach() sets no_new_privs and takes back the kernel's
 * pointers into the tender; spt_launch() never returns. */
struct spt_launch;
struct sock_filter;
struct spt_launch *spt_launch_prepare(struct tender *t,
        struct sock_filter **insns, size_t max_insns, struct tender_err *err);
void spt_launch_set_filters(struct spt_launch *l,
        const struct sock_fprog *first, const struct sock_fprog *second);
int spt_launch_detach(struct tender_err *err);
void spt_launch_debugger_hint(struct tender *t);
void spt_launch(struct spt_launch *l) __attribute__((noreturn));

/* spt_launch_<arch>.c: the highest user address + 1 a mapping can have,
 * and the architecture's part of the launch block (SPT_LAUNCH_ARCH). */
uint64_t spt_launch_user_top(void);
void spt_launch_arch_setup(uint8_t *arch);

#endif /* SPT_H */
