/*
 * util.c: what the harnesses share (util.h).
 */
#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

void fuzz_check_failed(const char *file, int line, const char *what)
{
    char msg[512];

    snprintf(msg, sizeof(msg), "FUZZ_CHECK failed at %s:%d: %s", file, line,
            what);
    __sanitizer_report_error_summary(msg);
    abort();
}

int fuzz_memfd(int fd, const char *name, const void *data, size_t size)
{
    const uint8_t *p = data;
    size_t done = 0;

    if (fd < 0)
        fd = memfd_create(name, MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(ftruncate(fd, 0) == 0);
    while (done < size) {
        ssize_t n = pwrite(fd, p + done, size - done, (off_t)done);

        FUZZ_CHECK(n > 0);
        done += (size_t)n;
    }
    return fd;
}

void fuzz_quiet_stdout(void)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
    close(fd);
}
