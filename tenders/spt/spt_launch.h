/*
 * spt_launch.h: the launch block that spt_launch.c writes into guest memory
 * and the per-architecture launch code (spt_launch_code_<arch>.S) reads, at
 * these offsets (checked against the C layout in spt_launch.c).
 */
#ifndef SPT_LAUNCH_H
#define SPT_LAUNCH_H

#define SPT_LAUNCH_MEM_TOP 0        /* the end of guest memory: the arch
                                       puts the stack pointer below it */
#define SPT_LAUNCH_ENTRY 8          /* the guest's entry point */
#define SPT_LAUNCH_BOOT_INFO 16     /* its first argument */
#define SPT_LAUNCH_UNMAP 24         /* 2 x {start, length}: unmapped */
#define SPT_LAUNCH_FILTERS 56       /* 2 x struct sock_fprog *, installed
                                       in this order; 0: none */
#define SPT_LAUNCH_WIPE 72          /* {start, length}: zeroed last */
#define SPT_LAUNCH_FAIL 88          /* {message, length}: to fd 2 if a
                                       step fails, then exit status 1 */
#define SPT_LAUNCH_ARCH 256         /* the architecture's part */
#define SPT_LAUNCH_ARCH_SIZE 1024
#define SPT_LAUNCH_SIZE (SPT_LAUNCH_ARCH + SPT_LAUNCH_ARCH_SIZE)

#define SPT_LAUNCH_N_UNMAP 2
#define SPT_LAUNCH_N_FILTERS 2

#endif /* SPT_LAUNCH_H */
