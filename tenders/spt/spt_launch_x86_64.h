/*
 * spt_launch_x86_64.h: the x86_64 part of the launch block (at
 * SPT_LAUNCH_ARCH), shared by spt_launch_x86_64.c and .S.
 */
#ifndef SPT_LAUNCH_X86_64_H
#define SPT_LAUNCH_X86_64_H

/* XCR0 bits that XRSTOR resets (to the init state); 0: no XSAVE, FXRSTOR. */
#define SPT_LAUNCH_X86_XRSTOR_MASK 0
/* The 64-byte aligned XSAVE area: legacy region (512 bytes; FCW 0x37f,
 * MXCSR 0x1f80, all else zero) and XSAVE header (64 bytes, all zero:
 * every component in its init state). */
#define SPT_LAUNCH_X86_XSAVE_AREA 64
#define SPT_LAUNCH_X86_XSAVE_SIZE 576

#endif /* SPT_LAUNCH_X86_64_H */
