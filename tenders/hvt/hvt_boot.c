/*
 * hvt_boot.c: what the guest finds at HVT_BOOT_INFO_BASE (ref §2.7): the
 * 56-byte struct hvt_boot_info, right after it the tender's copy of the
 * manifest (attached devices filled in), then the command line.  The
 * guest's page tables map this range read-only.
 *
 * host_features offers HVT_FEATURE_USER_MODE when the page tables have U
 * set (hvt_cpu_<arch>.c), and HVT_FEATURE_IO_RINGS with net_ring pointing at
 * the ring area (beyond mem_size) when hvt_ring.c set one up: for a guest
 * at CPL3 (the console ring, and its devices' rings), in solo5-hvt (not
 * -debug).  Upstream's RING_IO (bit 0) is never offered.
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
    if (h->io_rings && h->user_mode && h->hooks == NULL &&
            (hvt_ring_setup(t, err) != 0 || hvt_ring_start(t, err) != 0))
        return -1;
    memcpy(h->mem + mft_gpa, t->mft, t->mft_size);
    memcpy(h->mem + cmd_gpa, t->cmdline, cmd_len);
    *bi = (struct hvt_boot_info){
        .mem_size = h->mem_size,
        .kernel_end = t->kernel_end,
        .cpu_cycle_freq = h->cycle_hz,
        .cmdline = cmd_gpa,
        .mft = mft_gpa,
        .host_features = (h->user_mode ? HVT_FEATURE_USER_MODE : 0) |
            (h->ring != NULL ? HVT_FEATURE_IO_RINGS : 0),
        .guest_features = 0,
        .net_ring = hvt_ring_gpa(h),
    };
    return hvt_cpu_setup(h, t->entry, err);
}
