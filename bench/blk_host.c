/*
 * blk_host: the host-process baseline for the block benchmark: what
 * bench_blk does, as plain pread/pwrite on the same file.
 *
 *   blk_host read|write|scattered FILE SIZE TOTAL
 *
 * prints "blk_host: <op> size=<SIZE> bytes=<TOTAL> ns=<elapsed>".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64: the n-th offset is the same here and in bench_blk. */
static uint64_t next_offset(uint64_t *x, uint64_t size, uint64_t capacity)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x % (capacity / size) * size;
}

int main(int argc, char **argv)
{
    uint64_t size, total, done = 0, t0, t1, x = 1;
    off_t cap, off = 0;
    int write, scattered, fd;
    char *buf;

    if (argc != 5 || (strcmp(argv[1], "read") && strcmp(argv[1], "write") &&
                strcmp(argv[1], "scattered"))) {
        fprintf(stderr, "usage: blk_host read|write|scattered FILE SIZE TOTAL\n");
        return 2;
    }
    write = strcmp(argv[1], "write") == 0;
    scattered = strcmp(argv[1], "scattered") == 0;
    size = strtoull(argv[3], NULL, 10);
    total = strtoull(argv[4], NULL, 10);
    fd = open(argv[2], O_RDWR);
    if (fd < 0 || size == 0) {
        perror(argv[2]);
        return 1;
    }
    cap = lseek(fd, 0, SEEK_END);
    /* Page-aligned, like the guests' buffers (a malloc'd one is 16 bytes off,
     * which makes large copies several times slower here). */
    buf = aligned_alloc(4096, (size + 4095) / 4096 * 4096);
    if (buf == NULL || (uint64_t)cap < size)
        return 1;
    memset(buf, 0x5a, size);
    t0 = now_ns();
    while (done < total) {
        ssize_t n;

        if (scattered)
            off = (off_t)next_offset(&x, size, (uint64_t)cap);
        else if ((uint64_t)off + size > (uint64_t)cap)
            off = 0;
        n = write ? pwrite(fd, buf, size, off) : pread(fd, buf, size, off);
        if (n != (ssize_t)size) {
            perror("transfer");
            return 1;
        }
        off += (off_t)size;
        done += size;
    }
    t1 = now_ns();
    printf("blk_host: %s size=%llu bytes=%llu ns=%llu\n", argv[1],
            (unsigned long long)size, (unsigned long long)done,
            (unsigned long long)(t1 - t0));
    return 0;
}
