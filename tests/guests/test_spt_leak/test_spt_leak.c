/*
 * test_spt_leak (spt only): the independent review's hostile guest.  It
 * brings its own entry point (linked with -e leak_entry), which runs before
 * the bindings and looks at what solo5-spt left in the process:
 *
 *   test_spt_leak            reads %fs:0 and %fs:0x28, which on a tender
 *                            that leaves its FS base in place are glibc's
 *                            thread block (an address: ASLR gone) and the
 *                            tender's stack canary; then, with system calls
 *                            the filter allows, follows that block to the
 *                            tender's stack and prints its argv and
 *                            environment ("LEAK argv ...", "LEAK env ...")
 *                            and "LEAKED" if it got that far.  With the FS
 *                            base cleared the first read faults: 139.
 *   test_spt_leak fsgsbase   prints the FS and GS bases found at entry
 *                            (RDFSBASE/RDGSBASE: only where the host kernel
 *                            enabled FSGSBASE, HWCAP2 bit 1) and SUCCESS.
 *
 * Memory is only read after the kernel said it is readable: epoll_pwait()
 * with a zero timeout copies its signal mask from any address and answers
 * EFAULT when it cannot, so a wrong guess costs an error, not a fault.
 */
#include "guest.h"
#include "spt_abi.h"

#define SYS_EPOLL_PWAIT 281
#define EFAULT 14
#define PAGE 4096UL
#define MAX_ARGS 256

void _start(const struct spt_boot_info *bi) __attribute__((noreturn));
void leak_entry(const struct spt_boot_info *bi) __attribute__((noreturn));

static uint64_t entry_tcb, entry_canary, entry_fsbase, entry_gsbase;

void leak_entry(const struct spt_boot_info *bi)
{
    const char *cmd = bi->cmdline;

    if (cmd[0] == 'f') { /* "fsgsbase" */
        __asm__ __volatile__("rdfsbase %0" : "=r"(entry_fsbase));
        __asm__ __volatile__("rdgsbase %0" : "=r"(entry_gsbase));
    } else {
        __asm__ __volatile__("movq %%fs:0, %0" : "=r"(entry_tcb));
        __asm__ __volatile__("movq %%fs:0x28, %0" : "=r"(entry_canary));
    }
    _start(bi);
}

static long sys6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;

    __asm__ __volatile__("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
    return ret;
}

/* Is every page of [p, p + n) readable?  Asked of the kernel, not tried. */
static bool readable(uint64_t p, uint64_t n)
{
    const struct spt_boot_info *bi =
        (const struct spt_boot_info *)guest_launder(SPT_BOOT_INFO_BASE);
    uint64_t events[2];

    if (p == 0 || p + n < p)
        return false;
    for (uint64_t page = p & ~(PAGE - 1); page < p + n; page += PAGE) {
        if (sys6(SYS_EPOLL_PWAIT, bi->epollfd, (long)events, 1, 0, (long)page, 8) == -EFAULT)
            return false;
    }
    return true;
}

/* Prints the string at p if it is readable and NUL-terminated within 4 KiB. */
static void put_string(uint64_t p)
{
    const char *s = (const char *)p;

    for (uint64_t i = 0; i < PAGE; i++) {
        if (!readable(p + i, 1))
            break;
        if (s[i] == '\0') {
            solo5_console_write(s, i);
            return;
        }
    }
    guest_puts("(unreadable)");
}

/*
 * Is `p` the tender's initial stack pointer (glibc's __libc_stack_end)?
 * There: argc, argc pointers, NULL, then the environment pointers, NULL.
 */
static uint64_t stack_argc(uint64_t p)
{
    const uint64_t *w = (const uint64_t *)p;

    if ((p & 7) != 0 || !readable(p, 8) || w[0] == 0 || w[0] > MAX_ARGS)
        return 0;
    if (!readable(p, (w[0] + 2) * 8) || w[w[0] + 1] != 0)
        return 0;
    for (uint64_t i = 1; i <= w[0]; i++)
        if (!readable(w[i], 1))
            return 0;
    return w[0];
}

static void put_vector(const char *what, const uint64_t *v)
{
    for (uint64_t i = 0; i < 4 * MAX_ARGS && readable((uint64_t)&v[i], 8) && v[i] != 0; i++) {
        guest_puts("LEAK ");
        guest_puts(what);
        guest_puts(" ");
        put_string(v[i]);
        guest_puts("\n");
    }
}

/* glibc keeps __libc_stack_end in the main thread's block (stackblock_size). */
static int follow_tcb(void)
{
    for (uint64_t off = 0; off < 2 * PAGE; off += 8) {
        uint64_t p = entry_tcb + off, argc;

        if (!readable(p, 8))
            break;
        argc = stack_argc(*(const uint64_t *)p);
        if (argc != 0) {
            const uint64_t *w = (const uint64_t *)*(const uint64_t *)p;

            guest_puts("LEAK stack ");
            guest_put_hex((uint64_t)w);
            guest_puts("\n");
            put_vector("argv", w + 1);
            put_vector("env", w + argc + 2);
            guest_puts("LEAKED\n");
            return SOLO5_EXIT_SUCCESS;
        }
    }
    return guest_failure("no stack pointer found in the thread block");
}

int solo5_app_main(const struct solo5_start_info *si)
{
    guest_banner("test_spt_leak");
    if (strcmp(si->cmdline, "fsgsbase") == 0) {
        guest_puts("fsbase ");
        guest_put_hex(entry_fsbase);
        guest_puts(" gsbase ");
        guest_put_hex(entry_gsbase);
        guest_puts("\n");
        return guest_success();
    }
    guest_puts("LEAK tcb ");
    guest_put_hex(entry_tcb);
    guest_puts(" canary ");
    guest_put_hex(entry_canary);
    guest_puts("\n");
    return follow_tcb();
}
