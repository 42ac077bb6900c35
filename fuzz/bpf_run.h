/*
 * bpf_run.h, bpf_run.c: a classic BPF interpreter for seccomp filters, so
 * that a harness can ask a filter the tender built what it would decide,
 * without installing it.  Only what seccomp accepts (the kernel's
 * seccomp_check_filter() list); anything else, or a jump out of the
 * program, is reported as a broken filter (a crash).
 */
#ifndef FUZZ_BPF_RUN_H
#define FUZZ_BPF_RUN_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>

/* The filter's return value (SECCOMP_RET_*) for `data`. */
uint32_t bpf_run(const struct sock_fprog *prog,
        const struct seccomp_data *data);

/* Crashes unless the kernel would take `prog` as a seccomp filter: 1 to
 * BPF_MAXINSNS instructions of seccomp's list, loads inside seccomp_data,
 * every jump (taken or not) landing inside the program, a return last. */
void bpf_check(const struct sock_fprog *prog);

#endif /* FUZZ_BPF_RUN_H */
