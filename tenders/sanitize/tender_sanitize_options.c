/*
 * tender_sanitize_options.c: the sanitizer runtime's defaults for the
 * SANITIZE=1 build (tenders/SConscript links it into every tender and host
 * test program of that build, and into nothing else).
 *
 * The tenders end under seccomp filters that allow only what they need:
 * whatever the runtime does late must need nothing more.
 *   - detect_leaks=0: LeakSanitizer's check at exit stops the world with
 *     clone and ptrace (killed by the filter, status 159);
 *   - symbolize=0: symbolizing a report runs llvm-symbolizer (fork, exec);
 *     reports give addresses, resolved offline with addr2line;
 *   - exitcode=86 (ASan), halt_on_error: a finding ends the process with a
 *     status no tender uses, so a test sees it;
 *   - handle_segv=0 and the like, use_sigaltstack=0: the tenders' own
 *     signal handling, and a guest's fault (spt: status 139), stay as in
 *     the ordinary build;
 *   - __asan_handle_no_return(), which the instrumentation calls before
 *     every noreturn call (exit() at the end of tender_main(), the I/O
 *     thread's _exit()), asks sigaltstack(2) for the signal stack to
 *     unpoison it: a system call no filter allows.  The tenders never
 *     longjmp nor abandon frames that later code would reuse, so there is
 *     nothing to unpoison: it is replaced by an empty one (the executable's
 *     definition takes precedence over the runtime's).
 * ASAN_OPTIONS / UBSAN_OPTIONS in the environment still override these.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
void __asan_handle_no_return(void);

const char *__asan_default_options(void)
{
    return "detect_leaks=0:symbolize=0:exitcode=86:halt_on_error=1:"
        "use_sigaltstack=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:"
        "handle_sigill=0:handle_abort=0";
}

const char *__ubsan_default_options(void)
{
    return "symbolize=0:halt_on_error=1:print_stacktrace=1:exitcode=86";
}

void __asan_handle_no_return(void)
{
}
