/*
 * hvt_options.c: solo5-hvt's own options (--mem is the shared core's).
 *
 * --busy-poll=USEC bounds how long a guest that waits for network frames
 * in solo5_yield() watches its RX rings before it sleeps in a POLL exit
 * (hvt_ring_area.busy_poll_us; the guest adapts its spin below this, as
 * KVM's halt polling does: docs/kvm-pvm.md, "I/O rings").  Like Linux's
 * net.core.busy_poll, it trades CPU time for latency: a guest whose frames
 * come closer together than this waits for them without any exit, on a
 * CPU of its own.
 *
 * --hugepages maps guest memory from the host's pool of 2 MiB huge pages
 * (vm.nr_hugepages, hugetlbfs) instead of anonymous memory with
 * transparent huge pages (hvt_mem.c): the operator sets the pool aside, so
 * every guest page is huge and the pool's pages stay backed between runs.
 * Only where the guest's page tables alone keep read-only segments
 * read-only (hvt_cpu_maps_read_only): the host cannot protect 4 KiB of a
 * huge page.
 */
#include <string.h>

#include "hvt.h"

#define HVT_STR_(x) #x
#define HVT_STR(x) HVT_STR_(x)

int hvt_parse_busy_poll(const char *value, uint32_t *us,
        struct tender_err *err)
{
    uint64_t v;
    int rc = tender_parse_decimal(value, HVT_BUSY_POLL_US_MAX, &v);

    if (rc == TENDER_DECIMAL_TOO_LARGE)
        return tender_err_set(err, "Malformed argument to --busy-poll "
                "(at most %u microseconds)", HVT_BUSY_POLL_US_MAX);
    if (rc != 0)
        return tender_err_set(err, "Malformed argument to --busy-poll");
    *us = (uint32_t)v;
    return 0;
}

static int hvt_hugepages_arg(struct hvt *h, struct tender_err *err)
{
    if (!hvt_cpu_maps_read_only) {
        tender_err_set(err, "--hugepages is not available on this "
                "architecture (read-only segments need 4 KiB host pages)");
        return TENDER_ARG_INVALID;
    }
    h->hugepages = true;
    return TENDER_ARG_HANDLED;
}

static int hvt_core_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    static const char opt[] = "--busy-poll=";

    if (strcmp(arg, "--hugepages") == 0)
        return hvt_hugepages_arg(hvt_of(t), err);
    if (strncmp(arg, opt, sizeof(opt) - 1) != 0)
        return TENDER_ARG_UNKNOWN;
    if (hvt_parse_busy_poll(arg + sizeof(opt) - 1, &hvt_of(t)->busy_poll_us,
                err) != 0)
        return TENDER_ARG_INVALID;
    return TENDER_ARG_HANDLED;
}

const struct tender_module hvt_module_core = {
    .name = "core",
    .handle_cmdarg = hvt_core_cmdarg,
    .usage = "    [ --busy-poll=" HVT_STR(HVT_BUSY_POLL_US_DEFAULT) " ] "
        "(microseconds a guest waiting for network frames may poll for "
        "them before it sleeps; 0: never)\n"
        "    [ --hugepages ] (guest memory from the host's pool of 2 MiB "
        "huge pages, vm.nr_hugepages)\n",
};
