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
 * a failed or short transfer is fatal (-1, err set). */
int tender_block_transfer(const struct mft_entry *e, bool write,
        uint8_t *data, uint64_t offset, uint64_t len, struct tender_err *err);
extern const struct tender_module tender_module_net;

#endif /* TENDER_MODULES_H */
