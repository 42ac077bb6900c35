/*
 * virtio_start.c: start-up of a virtio unikernel and the platform basics
 * (console, exit, TLS, yield).
 *
 * virtio_entry() runs on the boot stack (virtio_boot_x86_64.S).  It reads
 * what it needs of the multiboot information at once: loaders put it in
 * memory that becomes the application's heap.  Then it moves the stack to
 * the top of memory, as on hvt, and starts the shared start-up sequence.
 */
#include "virtio.h"

#define VIRTIO_CMDLINE_SIZE 8192
#define MAX_MEMORY (4ULL << 30) /* what the boot page tables map */
#define ONE_MIB (1ULL << 20)

/* QEMU's PIIX4/ICH9 power management: SLP_EN with the S5 sleep type. */
#define ACPI_PM1A_CNT 0x604
#define ACPI_SLP_EN_S5 0x2000
/* How long platform_exit() waits for queued frames (TCG can be slow). */
#define VIRTIO_EXIT_FLUSH_NS 1000000000ULL

/* The manifest elftool generated; weak, so that the bindings object needs
 * nothing but solo5_app_main, and a missing manifest is a clear abort. */
extern const uint8_t __solo5_mft1_note[] __attribute__((weak));

static char cmdline[VIRTIO_CMDLINE_SIZE];
static uint64_t mem_size;
static uintptr_t alloc_next, alloc_limit;
static uint8_t mft_copy[MFT1_NOTE_MAX_SIZE] __attribute__((aligned(8)));

static void virtio_main(void) BINDINGS_NORETURN __attribute__((noinline));

/* The multiboot command line is "<kernel> <arguments>": keep the arguments. */
static void cmdline_copy(const char *src)
{
    size_t i = 0;

    while (*src != '\0' && *src != ' ')
        src++;
    while (*src == ' ')
        src++;
    while (src[i] != '\0' && i < sizeof(cmdline) - 1) {
        cmdline[i] = src[i];
        i++;
    }
    cmdline[i] = '\0';
}

void virtio_entry(uint32_t magic, uint32_t mbi_addr)
{
    const struct multiboot_info *mbi =
        (const struct multiboot_info *)(uintptr_t)mbi_addr;

    bindings_ssp_init();
    /* Any accidental TLS use now faults in the unmapped zero page. */
    hvt_cpu_set_tls_base(0);
    hvt_cpu_init(false); /* the whole VM is ours: CPL0 */
    virtio_serial_init();

    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        BINDINGS_PANIC("not started by a multiboot loader (magic 0x%x)", magic);
    if (!(mbi->flags & MULTIBOOT_INFO_MEMORY))
        BINDINGS_PANIC("the multiboot loader gave no memory size");
    mem_size = ONE_MIB + (uint64_t)mbi->mem_upper * 1024;
    if (mem_size > MAX_MEMORY)
        mem_size = MAX_MEMORY;
    mem_size &= ~(uint64_t)(BINDINGS_PAGE_SIZE - 1);
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        cmdline_copy((const char *)(uintptr_t)mbi->cmdline);

    bindings_cpu_switch_stack(mem_size, virtio_main);
}

static struct mft *mft_init(void)
{
    size_t size;
    const struct mft *note = bindings_mft_builtin(__solo5_mft1_note, &size);

    /* The note is read-only data: devices are attached in a copy. */
    bindings_memcpy(mft_copy, note, size);
    return (struct mft *)mft_copy;
}

static void virtio_main(void)
{
    struct bindings_heap heap;
    const char *args;
    struct mft *mft = mft_init();

    args = bindings_cmdline_parse(cmdline);
    bindings_banner();
    bindings_mem_init(mem_size, BINDINGS_PAGE_SIZE, &heap);
    virtio_clock_init();

    alloc_next = heap.start;
    alloc_limit = heap.start + heap.size - BINDINGS_MIN_FREE_MEMORY;
    virtio_pci_attach(mft);
    bindings_mft_init(mft);
    /* The device rings and buffers are the first part of the heap. */
    heap.size -= alloc_next - heap.start;
    heap.start = alloc_next;
    bindings_run_app(args, &heap);
}

void *virtio_alloc_pages(size_t size)
{
    uintptr_t p = alloc_next;

    size = bindings_align_up(size, BINDINGS_PAGE_SIZE);
    if (size > alloc_limit - p)
        BINDINGS_PANIC("Not enough memory for the virtio devices");
    alloc_next += size;
    bindings_memset((void *)p, 0, size);
    return (void *)p;
}

void platform_exit(int status, void *cookie)
{
    uint32_t code;

    (void)cookie;
    virtio_net_flush(VIRTIO_EXIT_FLUSH_NS);
    /* QEMU's isa-debug-exit ends QEMU with status (code << 1) | 1; code 0
     * is left unused so that QEMU's own failures (status 1) stand apart.
     * solo5-virtio-run decodes it (docs/targets.md). */
    if (status >= 0 && status <= VIRTIO_EXIT_MAX)
        code = (uint32_t)status + 1;
    else
        code = VIRTIO_EXIT_OTHER;
    virtio_outl(VIRTIO_DEBUG_EXIT_PORT, code);
    /* No debug-exit device (another hypervisor): power off, then stop. */
    virtio_outw(ACPI_PM1A_CNT, ACPI_SLP_EN_S5);
    bindings_cpu_halt();
}

bool platform_set_tls_base(uintptr_t base)
{
    hvt_cpu_set_tls_base(base);
    return true;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    solo5_handle_set_t ready = 0;

    /* No interrupts: poll the receive queues until the deadline. */
    for (;;) {
        ready = virtio_net_ready();
        if (ready != 0 || solo5_clock_monotonic() >= deadline)
            break;
        bindings_cpu_pause();
    }
    if (ready_set != NULL)
        *ready_set = ready;
}
