/*
 * tender_memlimit_fast.c: the memory cgroup check's mount points without
 * /proc/self/mountinfo, where the conventional ones are proved to be right.
 *
 * tender_memlimit.c finds a hierarchy's mount in /proc/self/mountinfo,
 * which costs a start ~60-75 microseconds (the kernel formats it a mount at
 * a time as it is read).  The tender's cgroup is the conventional mount
 * point joined with its path in /proc/self/cgroup when:
 *
 *  - the tender is in the initial cgroup namespace: only there are the
 *    paths in /proc/self/cgroup taken from the hierarchy's root (in another
 *    namespace they start at the namespace's root);
 *  - the mount point is reached without a symlink and is a cgroup (v1) or
 *    cgroup2 file system;
 *  - what is mounted there is the hierarchy's root cgroup: not a bind of a
 *    subtree (a container's view) nor a mount made in another cgroup
 *    namespace (which shows that namespace's root);
 *  - v1: the hierarchy there holds the memory controller, which one
 *    hierarchy at most holds (fstatfs tells no v1 hierarchy from another).
 *
 * A mount of the hierarchy's root shows every cgroup in it, so the file read
 * is the tender's own cgroup's, as through mountinfo's first mount; the
 * message may name it through another mount point when the hierarchy is
 * mounted twice, and where that first mount is a subtree that hides the
 * tender's cgroup or (v2) limits above it, this finds the limit that
 * mountinfo's way missed (docs/compatibility.md).  Whatever fails or cannot
 * be decided leaves the choice to mountinfo.  This runs before the seccomp
 * filter is installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tender.h"

/* The initial cgroup namespace as /proc/self/ns/cgroup names it: its
 * inode number is fixed by the kernel (PROC_CGROUP_INIT_INO, 0xEFFFFFFB,
 * since cgroup namespaces came in Linux 4.6), every other namespace gets
 * one of its own.  The link names the process's own namespace whatever it
 * may see of others (/proc/1 may be out of reach, or another pid
 * namespace's init).  readlink: ~2 microseconds less than a stat, which
 * goes on to the namespace's inode. */
#define CGROUP_NS_INIT "cgroup:[4026531835]"

bool tender_cgroup_initial_ns(void)
{
    char link[sizeof(CGROUP_NS_INIT)];
    ssize_t n = readlink("/proc/self/ns/cgroup", link, sizeof(link));

    return n == (ssize_t)sizeof(link) - 1 &&
        memcmp(link, CGROUP_NS_INIT, sizeof(link) - 1) == 0;
}

/* dir as an O_PATH descriptor if no component of it is a symlink and it is
 * on a file system of type magic, else -1.  One openat2 for the whole path
 * (Linux 5.6; before, ENOSYS: mountinfo). */
static int open_cgroup_dir(const char *dir, unsigned long magic)
{
    struct open_how how = {
        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_NO_SYMLINKS,
    };
    struct statfs sf;
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));

    if (fd >= 0 && (fstatfs(fd, &sf) != 0 ||
            (unsigned long)sf.f_type != magic)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Whether dir holds name: 1 yes, 0 no, -1 undecided (an error other than
 * ENOENT, which proves nothing either way). */
static int has_file(int dir, const char *name)
{
    struct stat st;

    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 1;
    return errno == ENOENT ? 0 : -1;
}

/* v1: cgroup.sane_behavior is only in a hierarchy's root cgroup
 * (CFTYPE_ONLY_ON_ROOT), memory.stat only where the memory controller is
 * bound, root included: a file of a cgroup file system comes from the
 * kernel, never from a user. */
const char *tender_cgroup_v1_memory_root(void)
{
    static const char dir[] = "/sys/fs/cgroup/memory";
    int fd = open_cgroup_dir(dir, CGROUP_SUPER_MAGIC);
    bool root;

    if (fd < 0)
        return NULL;
    root = has_file(fd, "cgroup.sane_behavior") == 1 &&
        has_file(fd, "memory.stat") == 1;
    close(fd);
    return root ? dir : NULL;
}

/* v2: cgroup.events is in every cgroup but the root (CFTYPE_NOT_ON_ROOT
 * since the cgroup2 file system came, Linux 4.5).  A pure v2 host mounts
 * the hierarchy at /sys/fs/cgroup, a hybrid one at /sys/fs/cgroup/unified
 * (there /sys/fs/cgroup is a tmpfs). */
const char *tender_cgroup_v2_root(void)
{
    static const char *const dirs[] = {
        "/sys/fs/cgroup", "/sys/fs/cgroup/unified",
    };

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        int fd = open_cgroup_dir(dirs[i], CGROUP2_SUPER_MAGIC);
        bool root;

        if (fd < 0)
            continue;
        root = has_file(fd, "cgroup.events") == 0;
        close(fd);
        return root ? dirs[i] : NULL;
    }
    return NULL;
}
