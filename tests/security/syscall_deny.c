/*
 * syscall_deny.c: runs a command with one system call failing (EPERM), for
 * tests/security/test_launch_failure.py: does a tender fail closed when a
 * step of entering the guest fails?
 *
 *   syscall_deny NAME [ARG VALUE] -- COMMAND [ARGS...]
 *
 * NAME fails whenever it is called, or only when its argument number ARG
 * (0-5) equals VALUE (a number, in any base strtoull reads).  The filter
 * is inherited by COMMAND, and every filter COMMAND installs comes after
 * it: the kernel applies the most restrictive answer.
 *
 * The filter is a handful of classic BPF instructions written here, so
 * that the harness needs no library: only this architecture's calls are
 * matched (a call through another ABI has other numbers), everything but
 * NAME is allowed.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "syscall_deny: unknown architecture"
#endif

/* The calls the tests make fail, by name (this architecture's numbers). */
static const struct {
    const char *name;
    long nr;
} calls[] = {
#ifdef __NR_arch_prctl
    { "arch_prctl", __NR_arch_prctl },
#endif
    { "munmap", __NR_munmap },
    { "mmap", __NR_mmap },
    { "mprotect", __NR_mprotect },
    { "seccomp", __NR_seccomp },
    { "prctl", __NR_prctl },
    { "ioctl", __NR_ioctl },
    { "openat", __NR_openat },
};

/* Offsets of the low and high 32 bits of argument `i` in seccomp_data. */
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) \
            + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4)))
#define ARG_HI(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) \
            + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 4 : 0)))

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET(action) BPF_STMT(BPF_RET | BPF_K, (action))

static void usage(void)
{
    fprintf(stderr, "usage: syscall_deny NAME [ARG VALUE] -- COMMAND "
            "[ARGS...]\n");
    exit(2);
}

static long resolve(const char *name)
{
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        if (strcmp(calls[i].name, name) == 0)
            return calls[i].nr;
    return -1;
}

/*
 * Without a comparison, the four argument instructions are jumped over
 * (the call is denied whatever its arguments); with one, a mismatch in
 * either half of the argument jumps to the final allow.
 */
static int deny(const char *name, int n_cmp, unsigned arg, uint64_t value)
{
    long nr = resolve(name);
    struct sock_filter f[] = {
        LD(offsetof(struct seccomp_data, arch)),
        JEQ(NATIVE_ARCH, 0, 7),                 /* another ABI: allow */
        LD(offsetof(struct seccomp_data, nr)),
        JEQ((uint32_t)nr, n_cmp == 0 ? 4 : 0, 5),
        LD(ARG_HI(arg)),
        JEQ((uint32_t)(value >> 32), 0, 3),
        LD(ARG_LO(arg)),
        JEQ((uint32_t)value, 0, 1),
        RET(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        RET(SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

    if (nr < 0) {
        fprintf(stderr, "syscall_deny: no system call %s known here\n",
                name);
        return -1;
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        fprintf(stderr, "syscall_deny: %s: %s\n", name, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int sep = argc > 2 && strcmp(argv[2], "--") == 0 ? 2 :
        argc > 4 && strcmp(argv[4], "--") == 0 ? 4 : 0;
    unsigned long arg = 0;
    uint64_t value = 0;

    if (sep == 0 || sep + 1 >= argc)
        usage();
    if (sep == 4) {
        char *end1, *end2;

        arg = strtoul(argv[2], &end1, 10);
        value = strtoull(argv[3], &end2, 0);
        if (*end1 != '\0' || *end2 != '\0' || arg > 5)
            usage();
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            deny(argv[1], sep == 4, (unsigned)arg, value) != 0)
        return 1;
    execv(argv[sep + 1], argv + sep + 1);
    fprintf(stderr, "syscall_deny: %s: %s\n", argv[sep + 1], strerror(errno));
    return 127;
}
