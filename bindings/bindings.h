/*
 * bindings.h: what the shared bindings code and the per-target code say to
 * each other.  Internal to the bindings: nothing here is exported (objcopy
 * keeps only the solo5_* API, _start and the SSP symbols global).
 *
 * The per-target code implements the "platform" functions declared at the
 * end; the shared code implements everything else and the parts of the API
 * that do not depend on the target.
 */
#ifndef BINDINGS_H_INCLUDED
#define BINDINGS_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "solo5.h"
#include "mft_abi.h"

/* The file name without its directory, for ABORT messages (gcc >= 12). */
#ifndef __FILE_NAME__
#define __FILE_NAME__ __FILE__
#endif

#define BINDINGS_NORETURN __attribute__((noreturn))
#define BINDINGS_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Memory the bindings refuse to start with less of, above _end. */
#define BINDINGS_MIN_FREE_MEMORY 0x80000UL
#define BINDINGS_PAGE_SIZE 0x1000UL

static inline uintptr_t bindings_align_up(uintptr_t v, uintptr_t align)
{
    return (v + align - 1) & ~(align - 1);
}

/* --- Strings and memory (bindings_string.c).  Kept local: apps bring their
 * own libc, and these never clash with it. --- */
void *bindings_memcpy(void *dst, const void *src, size_t n);
void *bindings_memset(void *dst, int c, size_t n);
size_t bindings_strlen(const char *s);
int bindings_strcmp(const char *a, const char *b);
int bindings_strncmp(const char *a, const char *b, size_t n);

/* gcc may emit calls to these for struct copies and initialisers even with
 * -ffreestanding; they are defined in bindings_string.c and made local. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* --- Formatting and logging (bindings_printf.c, bindings_log.c). --- */
int bindings_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int bindings_snprintf(char *buf, size_t size, const char *fmt, ...)
    BINDINGS_PRINTF(3, 4);

enum bindings_log_level {
    BINDINGS_LOG_ERROR = 0,
    BINDINGS_LOG_WARN,
    BINDINGS_LOG_INFO,
    BINDINGS_LOG_DEBUG,
};

void bindings_log_set_level(enum bindings_log_level level);
void bindings_log(enum bindings_log_level level, const char *fmt, ...)
    BINDINGS_PRINTF(2, 3);

/* --- Command line (bindings_cmdline.c). --- */
/* Strips leading whitespace and Solo5 options from `cmdline`, sets the log
 * level they ask for, and returns what is left for the application. */
const char *bindings_cmdline_parse(const char *cmdline);

/* --- Start-up (bindings_start.c). --- */
void bindings_banner(void);

struct bindings_heap {
    uintptr_t start;
    size_t size;
};
/* Prints the memory map and computes the heap; aborts if there is too
 * little memory above _end.  The heap starts at the next `heap_align`
 * boundary above _end if that leaves at least 7/8 of it, else at the next
 * page: hvt asks for 2 MiB, a page the host can map with one fault instead
 * of one per 4 KiB (a first touch costs ~35 us a page on kvm-pvm's shadow
 * paging); BINDINGS_PAGE_SIZE asks for nothing more. */
void bindings_mem_init(uint64_t mem_size, uintptr_t heap_align,
        struct bindings_heap *heap);
/* Calls solo5_app_main() and exits with its result. */
void bindings_run_app(const char *cmdline, const struct bindings_heap *heap)
    BINDINGS_NORETURN;

/* --- Aborts (bindings_exit.c).  All end with status SOLO5_EXIT_ABORT. --- */
void bindings_abort(const char *file, int line, const char *fmt, ...)
    BINDINGS_NORETURN BINDINGS_PRINTF(3, 4);
/* Like bindings_abort, but hands `cookie` to the host (hvt core dumps). */
void bindings_abort_cookie(void *cookie, const char *file, int line,
        const char *fmt, ...) BINDINGS_NORETURN BINDINGS_PRINTF(4, 5);

#define BINDINGS_PANIC(...) bindings_abort(__FILE_NAME__, __LINE__, __VA_ARGS__)
#define BINDINGS_ASSERT(e) \
    do { \
        if (!(e)) \
            bindings_abort(__FILE_NAME__, __LINE__, "Assertion `%s' failed", #e); \
    } while (0)

/* --- Stack protector (bindings_ssp.c). --- */
/* Sets a random canary.  Call first thing in _start, from a function that
 * never returns (its own frame would otherwise fail the check). */
void bindings_ssp_init(void);

/* --- Manifest (bindings_mft.c). --- */
/* The manifest note elftool generated (__solo5_mft1_note), for targets
 * without a tender to check it: aborts if it is missing (NULL) or invalid;
 * `*size` is the size of the struct mft. */
const struct mft *bindings_mft_builtin(const uint8_t *note, size_t *size);
/* Records the tender-filled manifest copy that the device calls use. */
void bindings_mft_init(const struct mft *mft);
const struct mft *bindings_mft(void);
/* The entry of `type` called `name`, and its index; NULL if none. */
const struct mft_entry *bindings_mft_by_name(const struct mft *mft,
        const char *name, enum mft_type type, unsigned *index);
/* The attached entry of `type` at `index`; NULL if it is not one. */
const struct mft_entry *bindings_mft_by_index(const struct mft *mft,
        uint64_t index, enum mft_type type);

/* --- Architecture (bindings_cpu_<arch>.c, bindings_tls_<arch>.c). --- */
/* The free-running cycle counter (x86_64: the TSC; aarch64: CNTVCT_EL0). */
uint64_t bindings_cpu_cycles(void);
void bindings_cpu_halt(void) BINDINGS_NORETURN;

/*
 * --- The platform interface: implemented by each target. ---
 */
/* Writes to the console; best effort. */
void platform_console_write(const char *buf, size_t size);
/* Ends the unikernel; `cookie` (may be NULL) goes to the host if it can. */
void platform_exit(int status, void *cookie) BINDINGS_NORETURN;
/* Sets the architecture's TLS base register; false if the host refused. */
bool platform_set_tls_base(uintptr_t base);

/* Device I/O on an entry already checked by the shared code (type, attached,
 * block alignment and bounds). */
solo5_result_t platform_block_write(const struct mft_entry *e,
        solo5_off_t offset, const uint8_t *buf, size_t size);
solo5_result_t platform_block_read(const struct mft_entry *e,
        solo5_off_t offset, uint8_t *buf, size_t size);
solo5_result_t platform_net_write(const struct mft_entry *e,
        const uint8_t *buf, size_t size);
solo5_result_t platform_net_read(const struct mft_entry *e,
        uint8_t *buf, size_t size, size_t *read_size);

#endif /* BINDINGS_H_INCLUDED */
