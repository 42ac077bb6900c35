/* test_blk_hvt_raw on aarch64: a hypercall is a 32-bit store of the
 * argument's guest address to the hypercall's MMIO slot. */
#include "guest.h"
#include "hvt_abi.h"

void raw_hypercall(unsigned nr, volatile void *arg)
{
    __asm__ __volatile__("str %w0, [%1]"
                         :
                         : "r"((uint32_t)(uintptr_t)arg), "r"(HVT_HYPERCALL_MMIO_ADDRESS(nr))
                         : "memory");
}
