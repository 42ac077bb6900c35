/*
 * hvt_boot.c: what the guest finds at HVT_BOOT_INFO_BASE (ref §2.7): the
 * 56-byte struct hvt_boot_info, right after it the tender's copy of the
 * manifest (attached devices filled in), then the command line.  The
 * guest's page tables map this range read-only.
 *
 * host_features offers HVT_FEATURE_USER_MODE when the page tables have U
 * set (hvt_cpu_<arch>.c).  Ring I/O is never offered (net_ring 0): the
 * hypercall path is complete, and on this project's KVM the ring was
 * measured slower (ref §2.9).  So no extra 2 MiB is allocated for it either.
 */
#include <string.h>

#include "hvt.h"

int hvt_boot_info(struct tender *t, struct tender_err *err)
{
    struct hvt *h = hvt_of(t);
    uint64_t bi_gpa = HVT_BOOT_INFO_BASE;
    uint64_t mft_gpa = bi_gpa + sizeof(struct hvt_boot_info);
    uint64_t cmd_gpa = mft_gpa + t->mft_size;
    size_t cmd_len = strlen(t->cmdline) + 1;
    struct hvt_boot_info *bi = (void *)(h->mem + bi_gpa);

    if (cmd_len > HVT_CMDLINE_SIZE ||
            cmd_gpa + HVT_CMDLINE_SIZE > HVT_GUEST_MIN_BASE)
        return tender_err_set(err, "boot info does not fit below 0x%x",
                HVT_GUEST_MIN_BASE);
    memcpy(h->mem + mft_gpa, t->mft, t->mft_size);
    memcpy(h->mem + cmd_gpa, t->cmdline, cmd_len);
    *bi = (struct hvt_boot_info){
        .mem_size = h->mem_size,
        .kernel_end = t->kernel_end,
        .cpu_cycle_freq = h->tsc_hz,
        .cmdline = cmd_gpa,
        .mft = mft_gpa,
        .host_features = h->user_mode ? HVT_FEATURE_USER_MODE : 0,
        .guest_features = 0,
        .net_ring = 0,
    };
    return hvt_cpu_setup(h, t->entry, err);
}
