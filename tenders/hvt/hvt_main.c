/*
 * hvt_main.c: solo5-hvt's main: the shared tender_main() with the hvt
 * backend (hvt_backend.c).
 *
 * On x86_64 guest memory is always mapped user-accessible and the boot
 * info says so (HVT_FEATURE_USER_MODE): our bindings then run the unikernel
 * at CPL3, natively on KVMs that emulate CPL0 (docs/kvm-pvm.md), and those
 * with a user-start header are started there directly
 * (hvt_user_start_x86_64.c); guests that do not know the bit run at CPL0
 * exactly as on upstream's tender.
 * It also offers the I/O rings (HVT_FEATURE_IO_RINGS, hvt_ring.c);
 * solo5-hvt-debug and the test tenders do not, and their guests use
 * hypercalls.  On aarch64 neither is offered: the guest runs at EL1 and
 * uses hypercalls, as upstream's.  Guest memory past the image's first
 * MiBs and below the stack gets its KVM slot when the guest first touches
 * it (hvt_kvm_slot.c; x86_64).
 */
#include <stdlib.h>

#include "hvt.h"

int main(int argc, char **argv)
{
    struct hvt hvt = {
        .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1,
        .epoll_fd = -1, .timer_fd = -1,
        .user_mode = hvt_cpu_has_user_mode,
        .user_start = true,
        .io_rings = true,
        .mem_on_demand = true,
        .ring_kick_fd = -1, .ring_rx_fd = -1, .ring_poll_fd = -1,
        .ring_watch_fd = -1, .busy_poll_us = HVT_BUSY_POLL_US_DEFAULT,
    };

    /* exit(), not return, whatever the outcome: the I/O thread, created
     * while the guest is set up, reads `hvt` in this frame, which a return
     * would hand to exit()'s own work (a set-up error after the thread
     * started then gave a second message about a garbage fd). */
    exit(tender_main(&hvt_backend, argc, argv, &hvt));
}
