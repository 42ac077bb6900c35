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

#include "tender.h"

extern const struct tender_module tender_module_block;
extern const struct tender_module tender_module_net;

#endif /* TENDER_MODULES_H */
