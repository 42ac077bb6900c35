/*
 * hvt_cpl0_tender.c: solo5-hvt as an upstream tender runs a guest: the same
 * tender (every object but hvt_main.o), except that guest memory is not
 * mapped user-accessible and host_features lacks HVT_FEATURE_USER_MODE.
 * Our bindings then stay at CPL0 for the whole run, which is how our
 * unikernels run on upstream's solo5-hvt; tests/hvt/test_hvt_cpl0.py
 * drives it.  solo5-hvt itself has no option for this on purpose: the
 * choice is the tender's, never the user's.
 */
#include <stdlib.h>

#include "hvt.h"

int main(int argc, char **argv)
{
    struct hvt hvt = {
        .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1,
        .epoll_fd = -1, .timer_fd = -1,
        .user_mode = false,
    };

    /* exit(), not return: as solo5-hvt's main (hvt_main.c). */
    exit(tender_main(&hvt_backend, argc, argv, &hvt));
}
