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

#include "tender.h"

struct spt {
    bool exec_heap;             /* --x-exec-heap */
    int epollfd;
    int timerfd;
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
int spt_seccomp_arch_rules(void *scmp_ctx, struct tender_err *err);

/* spt_launch_<arch>.S: switches to the guest stack and jumps; no return. */
void spt_launch(uint64_t stack_top, uint64_t entry, uint64_t boot_info)
    __attribute__((noreturn));

#endif /* SPT_H */
