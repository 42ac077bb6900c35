/*
 * virtio_pci.c: PCI enumeration (configuration mechanism 1) and device
 * attachment.
 *
 * Every function on every bus is probed; virtio network and block devices
 * (legacy/transitional device ids) are attached, in the order they are
 * found, to the manifest's NET_BASIC and BLOCK_BASIC entries in manifest
 * order.  A declared device without a virtio device to back it is fatal,
 * as it is on the tenders; extra virtio devices are left alone.
 */
#include "virtio.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_ENABLE 0x80000000U
#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_DEVICE_VIRTIO_NET 0x1000
#define PCI_DEVICE_VIRTIO_BLOCK 0x1001
#define PCI_REG_ID 0x00
#define PCI_REG_COMMAND 0x04
#define PCI_REG_HEADER 0x0c
#define PCI_REG_BAR0 0x10
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MASTER 0x4
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_BAR_IO 0x1

static uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    virtio_outl(PCI_CONFIG_ADDRESS, PCI_ENABLE | (bus << 16) | (dev << 11) |
            (fn << 8) | (reg & 0xfc));
    return virtio_inl(PCI_CONFIG_DATA);
}

static void pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned reg,
        uint32_t v)
{
    virtio_outl(PCI_CONFIG_ADDRESS, PCI_ENABLE | (bus << 16) | (dev << 11) |
            (fn << 8) | (reg & 0xfc));
    virtio_outl(PCI_CONFIG_DATA, v);
}

static const char *type_name(enum mft_type type)
{
    return type == MFT_DEV_NET_BASIC ? "NET_BASIC" : "BLOCK_BASIC";
}

/* The next unattached entry of `type`, or NULL. */
static struct mft_entry *next_entry(struct mft *mft, enum mft_type type)
{
    for (unsigned i = 1; i < mft->entries; i++) {
        if (mft->e[i].type == type && !mft->e[i].attached)
            return &mft->e[i];
    }
    return NULL;
}

static void attach(struct mft *mft, unsigned bus, unsigned dev, unsigned fn,
        uint16_t device)
{
    enum mft_type type = device == PCI_DEVICE_VIRTIO_NET ? MFT_DEV_NET_BASIC
        : MFT_DEV_BLOCK_BASIC;
    struct mft_entry *e = next_entry(mft, type);
    uint32_t bar0, command;
    uint16_t iobase;
    bool ok;

    if (e == NULL) {
        bindings_log(BINDINGS_LOG_DEBUG,
                "Solo5: PCI %02x:%02x.%x: virtio %s device not in the manifest\n",
                bus, dev, fn, type_name(type));
        return;
    }
    bar0 = pci_read(bus, dev, fn, PCI_REG_BAR0);
    if (!(bar0 & PCI_BAR_IO)) {
        bindings_log(BINDINGS_LOG_WARN,
                "Solo5: PCI %02x:%02x.%x: no legacy I/O BAR, ignored\n",
                bus, dev, fn);
        return;
    }
    iobase = (uint16_t)(bar0 & ~3U);
    command = pci_read(bus, dev, fn, PCI_REG_COMMAND);
    pci_write(bus, dev, fn, PCI_REG_COMMAND,
            command | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    if (type == MFT_DEV_NET_BASIC)
        ok = virtio_net_init(e, iobase);
    else
        ok = virtio_block_init(e, iobase);
    if (!ok)
        return;
    e->attached = true;
    bindings_log(BINDINGS_LOG_INFO,
            "Solo5: PCI %02x:%02x.%x: virtio %s attached as '%s'\n",
            bus, dev, fn, type_name(type), e->name);
}

static void probe(struct mft *mft, unsigned bus, unsigned dev, unsigned fn)
{
    uint32_t id = pci_read(bus, dev, fn, PCI_REG_ID);
    uint16_t vendor = id & 0xffff, device = id >> 16;

    if (vendor != PCI_VENDOR_VIRTIO)
        return;
    if (device == PCI_DEVICE_VIRTIO_NET || device == PCI_DEVICE_VIRTIO_BLOCK)
        attach(mft, bus, dev, fn, device);
}

void virtio_pci_attach(struct mft *mft)
{
    bool missing = false;

    for (unsigned bus = 0; bus < 256; bus++) {
        for (unsigned dev = 0; dev < 32; dev++) {
            uint32_t id = pci_read(bus, dev, 0, PCI_REG_ID);
            unsigned functions = 1;

            if ((id & 0xffff) == 0xffff)
                continue;
            if ((pci_read(bus, dev, 0, PCI_REG_HEADER) >> 16) &
                    PCI_HEADER_MULTIFUNCTION)
                functions = 8;
            for (unsigned fn = 0; fn < functions; fn++)
                probe(mft, bus, dev, fn);
        }
    }
    for (unsigned i = 1; i < mft->entries; i++) {
        const struct mft_entry *e = &mft->e[i];

        if (e->attached)
            continue;
        bindings_log(BINDINGS_LOG_ERROR,
                "Solo5: Device '%s' of type %s declared but not attached.\n",
                e->name, type_name(e->type));
        missing = true;
    }
    if (missing)
        BINDINGS_PANIC("All declared devices must be attached: "
                "give solo5-virtio-run one -n or -d per device");
}
