/*
 * xen_pages_x86_64.S: the two pages Xen writes into, by their guest
 * physical address.  Both names are global and stay so in solo5_xen.o
 * (they match the solo5_* the bindings keep): MirageOS's Xen support uses
 * them, a private ABI upstream's bindings export too (docs/targets.md).
 *
 *   solo5__xen_HYPERCALL_PAGE          in .text: Xen fills it with one
 *       32-byte stub per hypercall when we write its address to Xen's MSR
 *       (xen_hypercall_init()).  Filled with `ret` until then.
 *   solo5__xen_HYPERVISOR_SHARED_INFO  in .bss: a whole page, because Xen
 *       replaces the page at that address with the shared_info frame
 *       (XENMEM_add_to_physmap, xen_shared_info_init()).
 */

#define PAGE_SIZE 4096
#define X86_RET 0xc3

    .text
    .balign PAGE_SIZE
    .global solo5__xen_HYPERCALL_PAGE
    .type solo5__xen_HYPERCALL_PAGE, @function
solo5__xen_HYPERCALL_PAGE:
    .fill PAGE_SIZE, 1, X86_RET
    .size solo5__xen_HYPERCALL_PAGE, PAGE_SIZE

    .bss
    .balign PAGE_SIZE
    .global solo5__xen_HYPERVISOR_SHARED_INFO
    .type solo5__xen_HYPERVISOR_SHARED_INFO, @object
solo5__xen_HYPERVISOR_SHARED_INFO:
    .skip PAGE_SIZE
    .size solo5__xen_HYPERVISOR_SHARED_INFO, PAGE_SIZE

    .section .note.GNU-stack, "", @progbits
