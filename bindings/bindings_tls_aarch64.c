/*
 * bindings_tls_aarch64.c: thread-local storage, aarch64 variant I.
 *
 * A block is [TCB, 16 bytes][.tdata image][.tbss]: the thread pointer
 * (TPIDR_EL0) points at the TCB, whose first word holds the thread pointer
 * itself, and the compiler addresses TLS variables at positive offsets from
 * it, the first at 16 (ref A3; alignments above 16 are not supported, as
 * upstream).  _ltdata and _ltbss come from the linker script.
 */
#include "bindings.h"

#define TLS_TCB_SIZE 16

extern char _stdata[], _ltdata[], _ltbss[];

size_t solo5_tls_size(void)
{
    return TLS_TCB_SIZE + (uintptr_t)_ltdata + (uintptr_t)_ltbss;
}

uintptr_t solo5_tls_tp_offset(uintptr_t tls)
{
    return tls;
}

solo5_result_t solo5_tls_init(uintptr_t tls)
{
    if (tls == 0)
        return SOLO5_R_EINVAL;
    /* .tbss is left alone: the block is documented to come zeroed. */
    bindings_memcpy((void *)(tls + TLS_TCB_SIZE), _stdata,
            (uintptr_t)_ltdata);
    *(uintptr_t *)tls = tls;
    return SOLO5_R_OK;
}

solo5_result_t solo5_set_tls_base(uintptr_t base)
{
    return platform_set_tls_base(base) ? SOLO5_R_OK : SOLO5_R_EINVAL;
}
