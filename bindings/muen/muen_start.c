/*
 * muen_start.c: start-up of a muen subject and the platform basics.
 */
#include "muen.h"

#define MSR_FS_BASE 0xc0000100U

/* The manifest elftool generated (weak: see bindings/virtio). */
extern const uint8_t __solo5_mft1_note[] __attribute__((weak));

static uint8_t mft_copy[MFT1_NOTE_MAX_SIZE] __attribute__((aligned(8)));

static void muen_main(uint64_t mem_size) BINDINGS_NORETURN __attribute__((noinline));

static void set_fs_base(uintptr_t base)
{
    __asm__ __volatile__("wrmsr"
            :
            : "c"(MSR_FS_BASE), "a"((uint32_t)base),
              "d"((uint32_t)(base >> 32)));
}

void muen_start(uint64_t stack_top)
{
    bindings_ssp_init();
    set_fs_base(0);
    muen_main(bindings_align_up(stack_top, BINDINGS_PAGE_SIZE));
}

static struct mft *mft_init(void)
{
    size_t size;
    const struct mft *note = bindings_mft_builtin(__solo5_mft1_note, &size);

    bindings_memcpy(mft_copy, note, size);
    return (struct mft *)mft_copy;
}

static void muen_main(uint64_t mem_size)
{
    struct bindings_heap heap;
    struct mft *mft = mft_init();
    const char *args;
    bool missing = false;

    muen_console_init();
    /* A subject has no command line: the application gets "". */
    args = bindings_cmdline_parse("");
    bindings_banner();
    if (muen_sinfo()->magic != MUEN_SINFO_MAGIC)
        BINDINGS_PANIC("no Muen subject information at 0x%lx",
                (unsigned long)MUEN_SINFO_BASE);
    bindings_mem_init(mem_size, BINDINGS_PAGE_SIZE, &heap);
    muen_clock_init();
    muen_block_init(mft);
    muen_net_init(mft);
    for (unsigned i = 1; i < mft->entries; i++) {
        if (mft->e[i].attached)
            continue;
        bindings_log(BINDINGS_LOG_ERROR,
                "Solo5: Device '%s' declared but its channels are missing.\n",
                mft->e[i].name);
        missing = true;
    }
    if (missing)
        BINDINGS_PANIC("All declared devices must be attached");
    bindings_mft_init(mft);
    bindings_run_app(args, &heap);
}

void platform_exit(int status, void *cookie)
{
    (void)status;
    (void)cookie;
    /* Nothing to return to: the subject stops here. */
    bindings_cpu_halt();
}

bool platform_set_tls_base(uintptr_t base)
{
    set_fs_base(base);
    return true;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    solo5_handle_set_t ready;

    for (;;) {
        ready = muen_net_ready();
        if (ready != 0 || solo5_clock_monotonic() >= deadline)
            break;
        __asm__ __volatile__("pause");
    }
    if (ready_set != NULL)
        *ready_set = ready;
}
