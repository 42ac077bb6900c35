/*
 * genode_start.c: the ELF entry of a Genode unikernel.
 *
 * Genode never enters a component there: its dynamic linker constructs the
 * component in the bindings library, which calls solo5_app_main() of the
 * executable (exported to it through the dynamic symbol table).  _start
 * exists for the linker and for anything that jumps to e_entry by mistake:
 * it stops rather than run the application without its platform.
 */
#include "solo5.h"

void _start(void) __attribute__((noreturn));

void _start(void)
{
    solo5_abort();
}
