/*
 * tender_modules.h: the device modules every tender can list.
 *
 * They attach host resources to the manifest entries named on the command
 * line and record them in the tender's manifest copy (hostfd, capacity,
 * block size, MAC, MTU, attached); each backend then gives the guest access
 * its own way (spt: seccomp rules on the fds; hvt: hypercalls).
 */
#ifndef TENDER_MODULES_H
#define TENDER_MODULES_H

#include <stdbool.h>
#include <stdint.h>

#include "tender.h"

extern const struct tender_module tender_module_block;

/* True if [offset, offset + len) is whole, aligned blocks inside device e. */
bool tender_block_request_ok(const struct mft_entry *e, uint64_t offset,
        uint64_t len);

/* pread/pwrite all of a request checked by tender_block_request_ok();
 * a failed or short transfer is -1 with err set (the host's error). */
int tender_block_transfer(const struct mft_entry *e, bool write,
        uint8_t *data, uint64_t offset, uint64_t len, struct tender_err *err);

/*
 * The same, for a guest's request: SOLO5_R_OK, or SOLO5_R_EUNSPEC if the
 * host failed it (an I/O error, a full disk, a file truncated under the
 * guest): the guest goes on, and the operator gets one warning per device.
 * Safe from several threads (hvt's vCPU and I/O threads).
 */
int tender_block_serve(struct tender *t, const struct mft_entry *e,
        bool write, uint8_t *data, uint64_t offset, uint64_t len);

extern const struct tender_module tender_module_net;

/*
 * What a failed read or write on a tap means, for tenders that do the
 * guest's network I/O themselves (hvt).  `error` is the errno.
 */
enum tender_net_fault {
    TENDER_NET_AGAIN,   /* EAGAIN, ENOBUFS: nothing to read, or a full
                           queue that drops the frame (as a NIC would) */
    TENDER_NET_DOWN,    /* EIO: the tap is down: the frame is lost, as
                           without carrier; the guest goes on */
    TENDER_NET_FATAL,   /* anything else; EBADFD, ENODEV, ENXIO: the tap
                           was removed, for good ("... was removed from
                           the host"): err says which, the guest ends */
};
enum tender_net_fault tender_net_fault(const struct mft_entry *e, bool write,
        int error, struct tender_err *err);

#endif /* TENDER_MODULES_H */
