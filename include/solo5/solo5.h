/*
 * solo5.h: the Solo5 guest API.
 *
 * A unikernel (the "application" below) calls these functions; one set of
 * bindings per target implements them.  Source-compatible with upstream
 * Solo5 0.12: the API may change at any time.
 *
 * Includes only freestanding headers, so applications bring their own libc.
 */
#ifndef SOLO5_H_INCLUDED
#define SOLO5_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Result of an API call.  Applications must not rely on ever seeing EINVAL or
 * EUNSPEC: an implementation may abort instead. */
typedef enum {
    SOLO5_R_OK,      /* success */
    SOLO5_R_AGAIN,   /* the operation would block */
    SOLO5_R_EINVAL,  /* invalid argument */
    SOLO5_R_EUNSPEC  /* unspecified error */
} solo5_result_t;

/* Exit statuses.  Statuses of 255 and above are reserved for Solo5. */
#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT   255

/* Monotonic or wall-clock time in nanoseconds. */
typedef uint64_t solo5_time_t;

/* A device handle and a set of up to 64 handles (bit n is handle n). */
typedef uint64_t solo5_handle_t;
typedef uint64_t solo5_handle_set_t;

/* A byte offset into a block device. */
typedef uint64_t solo5_off_t;

/* Start-up information handed to solo5_app_main(); static and read-only.
 * The heap [heap_start, heap_start + heap_size) is one RW, non-executable
 * region; the initial stack grows down from its top, inside it. */
struct solo5_start_info {
    const char *cmdline;
    uintptr_t heap_start;
    size_t heap_size;
};

/* Supplied by the application and called by the bindings.  Returning from
 * it is equivalent to calling solo5_exit() with its result. */
int solo5_app_main(const struct solo5_start_info *info);

/* Ends the unikernel with `status`, handed to the host where possible. */
void solo5_exit(int status) __attribute__((noreturn));

/* Ends the unikernel abnormally (status 255); may produce a core dump. */
void solo5_abort(void) __attribute__((noreturn));

/*
 * Thread-local storage (local-exec model only).  Intended use:
 *   1. allocate solo5_tls_size() bytes, zeroed (.tbss is not cleared);
 *   2. solo5_tls_init(block);
 *   3. solo5_set_tls_base(solo5_tls_tp_offset(block));
 *   4. switch threads by setting another base.
 */
size_t solo5_tls_size(void);
uintptr_t solo5_tls_tp_offset(uintptr_t tls);
solo5_result_t solo5_tls_init(uintptr_t tls);
solo5_result_t solo5_set_tls_base(uintptr_t base);

/* Monotonic time since an unspecified origin (TSC-based where possible). */
solo5_time_t solo5_clock_monotonic(void);

/* Wall-clock time in UTC nanoseconds since 1970, asked of the host. */
solo5_time_t solo5_clock_wall(void);

/* Blocks until the monotonic clock reaches `deadline` or a network device
 * has input.  If `ready_set` is not NULL it receives the handles ready for
 * input.  A deadline in the past returns promptly. */
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

/* Best-effort console output: never fails, may lose data. */
void solo5_console_write(const char *buf, size_t size);

/* Network devices. */
#define SOLO5_NET_ALEN 6   /* MAC address length */
#define SOLO5_NET_HLEN 14  /* Ethernet header length */

struct solo5_net_info {
    uint8_t mac_address[SOLO5_NET_ALEN];
    size_t mtu; /* excludes the Ethernet header */
};

/* Acquires the NET_BASIC device declared as `name` in the manifest. */
solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_net_info *info);

/* Sends one frame, Ethernet header included, without blocking; at most
 * mtu + SOLO5_NET_HLEN bytes. */
solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
        size_t size);

/* Receives one frame without blocking into `buf` (size >= mtu +
 * SOLO5_NET_HLEN).  SOLO5_R_AGAIN if nothing is queued. */
solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf,
        size_t size, size_t *read_size);

/* Block devices. */
struct solo5_block_info {
    solo5_off_t capacity;   /* bytes */
    solo5_off_t block_size; /* bytes */
};

/* Acquires the BLOCK_BASIC device declared as `name` in the manifest. */
solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle,
        struct solo5_block_info *info);

/* All-or-nothing transfers; `offset` and `size` must be multiples of the
 * block size. */
solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset,
        const uint8_t *buf, size_t size);
solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset,
        uint8_t *buf, size_t size);

#endif /* SOLO5_H_INCLUDED */
