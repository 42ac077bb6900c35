/*
 * faultfs.c: a FUSE file system with one file whose I/O fails on demand,
 * for tests/faults/ (this host's kernel has no device-mapper `error`
 * target).
 *
 *   faultfs MOUNTPOINT BACKING
 *
 * MOUNTPOINT/disk has BACKING's size and contents; every read and write
 * goes to BACKING (direct I/O: the page cache never answers for us), except
 * that one touching the failing range returns EIO.  MOUNTPOINT/ctl sets the
 * range: "eio START END" (bytes, [START, END)), or "ok" for none.  Runs in
 * the foreground until unmounted or sent SIGTERM.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int backing_fd = -1;
static uint64_t eio_start, eio_end;     /* [start, end); empty: no faults */

static int fs_getattr(const char *path, struct stat *st,
        struct fuse_file_info *fi)
{
    struct stat b;

    (void)fi;
    memset(st, 0, sizeof(*st));
    if (strcmp(path, "/") == 0) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return 0;
    }
    if (strcmp(path, "/ctl") == 0) {
        st->st_mode = S_IFREG | 0600;
        st->st_nlink = 1;
        return 0;
    }
    if (strcmp(path, "/disk") != 0)
        return -ENOENT;
    if (fstat(backing_fd, &b) != 0)
        return -errno;
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    st->st_size = b.st_size;
    return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
        off_t off, struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)off;
    (void)fi;
    (void)flags;
    if (strcmp(path, "/") != 0)
        return -ENOENT;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    fill(buf, "disk", NULL, 0, 0);
    fill(buf, "ctl", NULL, 0, 0);
    return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
    if (strcmp(path, "/disk") != 0 && strcmp(path, "/ctl") != 0)
        return -ENOENT;
    fi->direct_io = 1;
    return 0;
}

static bool faulty(uint64_t off, size_t size)
{
    return size > 0 && off < eio_end && off + size > eio_start;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
        struct fuse_file_info *fi)
{
    ssize_t n;

    (void)fi;
    if (strcmp(path, "/disk") != 0)
        return 0;
    if (faulty((uint64_t)off, size))
        return -EIO;
    n = pread(backing_fd, buf, size, off);
    return n < 0 ? -errno : (int)n;
}

static int fs_ctl(const char *buf, size_t size)
{
    char cmd[64];
    uint64_t start, end;

    if (size >= sizeof(cmd))
        return -EINVAL;
    memcpy(cmd, buf, size);
    cmd[size] = '\0';
    if (strncmp(cmd, "ok", 2) == 0) {
        eio_start = eio_end = 0;
        return (int)size;
    }
    if (sscanf(cmd, "eio %" SCNu64 " %" SCNu64, &start, &end) != 2 ||
            end < start)
        return -EINVAL;
    eio_start = start;
    eio_end = end;
    return (int)size;
}

static int fs_write(const char *path, const char *buf, size_t size,
        off_t off, struct fuse_file_info *fi)
{
    ssize_t n;

    (void)fi;
    if (strcmp(path, "/ctl") == 0)
        return fs_ctl(buf, size);
    if (faulty((uint64_t)off, size))
        return -EIO;
    n = pwrite(backing_fd, buf, size, off);
    return n < 0 ? -errno : (int)n;
}

/* Opening ctl with O_TRUNC (a shell's `>`) asks for this. */
static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    (void)size;
    (void)fi;
    return strcmp(path, "/ctl") == 0 ? 0 : -EPERM;
}

static const struct fuse_operations ops = {
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .open = fs_open,
    .read = fs_read,
    .write = fs_write,
    .truncate = fs_truncate,
};

int main(int argc, char **argv)
{
    char *fargv[] = { argv[0], "-f", "-s", NULL, NULL };

    if (argc != 3) {
        fprintf(stderr, "usage: %s MOUNTPOINT BACKING\n", argv[0]);
        return 2;
    }
    backing_fd = open(argv[2], O_RDWR | O_CLOEXEC);
    if (backing_fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], argv[2], strerror(errno));
        return 1;
    }
    fargv[3] = argv[1];
    return fuse_main(4, fargv, &ops, NULL);
}
