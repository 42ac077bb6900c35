/*
 * bindings_tls_x86_64.c: thread-local storage, x86_64 variant II.
 *
 * A block is [.tdata image][.tbss][TP word]: the thread pointer points at its
 * own word, just past the TLS data, and the compiler addresses TLS variables
 * at negative offsets from it.  _ltdata (the page-aligned .tdata span) and
 * _ltbss come from the linker script.
 */
#include "bindings.h"

extern char _stdata[], _ltdata[], _ltbss[];

static uintptr_t tls_data_size(void)
{
    return (uintptr_t)_ltdata + (uintptr_t)_ltbss;
}

size_t solo5_tls_size(void)
{
    return tls_data_size() + sizeof(uintptr_t);
}

uintptr_t solo5_tls_tp_offset(uintptr_t tls)
{
    return tls + tls_data_size();
}

solo5_result_t solo5_tls_init(uintptr_t tls)
{
    uintptr_t tp;

    if (tls == 0)
        return SOLO5_R_EINVAL;
    /* .tbss is left alone: the block is documented to come zeroed. */
    bindings_memcpy((void *)tls, _stdata, (uintptr_t)_ltdata);
    tp = solo5_tls_tp_offset(tls);
    *(uintptr_t *)tp = tp;
    return SOLO5_R_OK;
}

solo5_result_t solo5_set_tls_base(uintptr_t base)
{
    return platform_set_tls_base(base) ? SOLO5_R_OK : SOLO5_R_EINVAL;
}
