/* test_blk_hvt_raw on x86_64: a hypercall is a 32-bit `out` of the
 * argument's guest address to the hypercall's port. */
#include "guest.h"
#include "hvt_abi.h"

void raw_hypercall(unsigned nr, volatile void *arg)
{
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)(uintptr_t)arg), "d"((uint16_t)HVT_HYPERCALL_ADDRESS(nr))
                         : "memory");
}
