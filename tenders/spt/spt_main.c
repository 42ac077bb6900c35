/*
 * spt_main.c: the solo5-spt backend and its module list.
 */
#include <string.h>

#include "spt.h"
#include "spt_abi.h"
#include "tender_modules.h"

#define X_EXEC_HEAP "--x-exec-heap"

static int spt_core_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    /* Upstream matches the 13-character prefix; so do we (ref §3.2). */
    if (strncmp(arg, X_EXEC_HEAP, strlen(X_EXEC_HEAP)) != 0)
        return spt_dumpcore_cmdarg(t, arg, err);
    spt_of(t)->exec_heap = true;
    tender_warn(t, "--x-exec-heap makes the guest heap and stack "
            "executable: this weakens the sandbox, use only for debugging");
    return TENDER_ARG_HANDLED;
}

static const struct tender_module spt_core = {
    .name = "core",
    .handle_cmdarg = spt_core_cmdarg,
    .setup = spt_dumpcore_setup,
    .usage = "    [ --x-exec-heap ] (make the heap and stack executable; "
            "dangerous)\n" SPT_DUMPCORE_USAGE,
};

static const struct tender_module *const spt_modules[] = {
    &spt_core,
    &tender_module_block,
    &tender_module_net,
    NULL,
};

static const struct tender_backend spt_backend = {
    .name = "solo5-spt",
    .abi_target = SPT_ABI_TARGET,
    .abi_version = SPT_ABI_VERSION,
    .default_mem_mib = 512,
    .cmdline_size = SPT_CMDLINE_SIZE,
    .modules = spt_modules,
    .mem_size = spt_mem_size,
    .mem_setup = spt_mem_setup,
    .protect = spt_protect,
    .boot_info = spt_boot_info,
    .run = spt_run,
};

int main(int argc, char **argv)
{
    struct spt spt = { .epollfd = -1, .timerfd = -1, .dump_dirfd = -1 };

    return tender_main(&spt_backend, argc, argv, &spt);
}
