/*
 * hvt_backend.c: the solo5-hvt backend and its module list (core block net,
 * ref §2.12).  Everything else, main included, is tenders/common; kept out
 * of hvt_main.c so that test harnesses can run the same tender.
 */
#include "hvt.h"
#include "tender_modules.h"

static const struct tender_module *const hvt_modules[] = {
    &hvt_module_core,
    &tender_module_block,
    &tender_module_net,
    NULL,
};

const struct tender_backend hvt_backend = {
    .name = "solo5-hvt",
    .abi_target = HVT_ABI_TARGET,
    .abi_version = HVT_ABI_VERSION,
    .default_mem_mib = 512,
    .cmdline_size = HVT_CMDLINE_SIZE,
    .modules = hvt_modules,
    .prepare = hvt_kvm_prepare,
    .mem_size = hvt_mem_size,
    .mem_setup = hvt_mem_setup,
    .protect = hvt_protect,
    .boot_info = hvt_boot_info,
    .run = hvt_run,
};
