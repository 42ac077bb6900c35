/*
 * virtio.h: internals of the virtio bindings.  The unikernel is a whole
 * x86_64 virtual machine: a multiboot loader (QEMU -kernel, or syslinux on
 * a disk image) starts it in 32-bit protected mode, it switches itself to
 * long mode, and it drives the legacy PC and PCI virtio devices itself,
 * polling (no interrupts, ever).
 */
#ifndef VIRTIO_H_INCLUDED
#define VIRTIO_H_INCLUDED

#include "../bindings.h"
#include "../bindings_cpu_x86_64.h"
#include "../hvt/hvt_cpu.h"
#include "elf_abi.h"

/* Multiboot (version 1) boot information, the fields the bindings read. */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002U
#define MULTIBOOT_INFO_MEMORY (1U << 0)
#define MULTIBOOT_INFO_CMDLINE (1U << 2)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower; /* KiB below 1 MiB */
    uint32_t mem_upper; /* KiB above 1 MiB, up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;   /* physical address of a NUL-terminated string */
} __attribute__((packed));

/* Port I/O (virtio_io_x86_64.c). */
uint8_t virtio_inb(uint16_t port);
uint16_t virtio_inw(uint16_t port);
uint32_t virtio_inl(uint16_t port);
void virtio_outb(uint16_t port, uint8_t v);
void virtio_outw(uint16_t port, uint16_t v);
void virtio_outl(uint16_t port, uint32_t v);

/* COM1 console (virtio_serial.c). */
void virtio_serial_init(void);

/* Clocks (virtio_clock.c): TSC calibrated on the PIT, or KVM pvclock. */
void virtio_clock_init(void);

/* Page allocator for device rings and buffers, taken off the heap before
 * the application gets it (virtio_start.c). */
void *virtio_alloc_pages(size_t size);

/* PCI (virtio_pci.c): finds the virtio devices and attaches them to the
 * manifest entries, in manifest order. */
void virtio_pci_attach(struct mft *mft);

/* Polled legacy virtqueues (virtio_ring.c). */
#define VIRTIO_PCI_HOST_FEATURES 0x00
#define VIRTIO_PCI_GUEST_FEATURES 0x04
#define VIRTIO_PCI_QUEUE_PFN 0x08
#define VIRTIO_PCI_QUEUE_SIZE 0x0c
#define VIRTIO_PCI_QUEUE_SEL 0x0e
#define VIRTIO_PCI_QUEUE_NOTIFY 0x10
#define VIRTIO_PCI_STATUS 0x12
#define VIRTIO_PCI_ISR 0x13
#define VIRTIO_PCI_CONFIG 0x14 /* device configuration, without MSI-X */

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FAILED 0x80

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

struct virtq {
    uint16_t iobase;
    uint16_t index;     /* queue number on the device */
    uint16_t size;      /* number of descriptors */
    uint16_t avail_idx; /* next free avail slot (free running) */
    uint16_t used_seen; /* used entries consumed (free running) */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    volatile struct virtq_used *used;
};

/* Sets up queue `index` of the device at `iobase`; false if it has none. */
bool virtq_init(struct virtq *q, uint16_t iobase, uint16_t index);

/* Resets the legacy PCI device at iobase, acknowledges it, and accepts the
 * features it offers among `wanted`; returns the accepted set. */
uint32_t virtio_device_begin(uint16_t iobase, uint32_t wanted);
/* Makes descriptor chain `head` available and tells the device. */
void virtq_submit(struct virtq *q, uint16_t head);
/* True if the device has returned a chain we have not consumed. */
bool virtq_has_used(const struct virtq *q);
/* Takes the next used element; call only if virtq_has_used(). */
struct virtq_used_elem virtq_take_used(struct virtq *q);

/* Devices (virtio_net.c, virtio_block.c): set up the PCI function at
 * `iobase` for manifest entry `e`; false (with a message) if it fails. */
bool virtio_net_init(struct mft_entry *e, uint16_t iobase);
bool virtio_block_init(struct mft_entry *e, uint16_t iobase);
/* Bitmap of the handles of net devices with a frame waiting. */
solo5_handle_set_t virtio_net_ready(void);
/* Waits (at most `timeout` ns) for the frames queued for transmission. */
void virtio_net_flush(solo5_time_t timeout);

void virtio_entry(uint32_t magic, uint32_t mbi) BINDINGS_NORETURN;

#endif /* VIRTIO_H_INCLUDED */
