/*
 * hvt_entry_aarch64.c: the ELF entry point of an aarch64 hvt unikernel,
 * at EL1 (there is no user-mode start on aarch64).
 */
#include "hvt.h"

void _start(struct hvt_boot_info *bi)
{
    hvt_cpu_init(false);
    hvt_main(bi);
}
