/*
 * util.h, util.c: what the harnesses share.
 *
 * A harness (fuzz_<target>.c) is a libFuzzer target: LLVMFuzzerTestOneInput
 * gets one input and must leave no state behind that changes how the next
 * one runs.  Besides ASan and UBSan, harnesses check what the code under
 * test promises (FUZZ_CHECK): a broken promise is a crash like any other.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A promise of the code under test was broken: report and crash.  The
 * report goes where sanitizer reports go, so that it survives libFuzzer's
 * -close_fd_mask (scripts/fuzz closes the harness's stdout and stderr). */
#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond))                                                        \
            fuzz_check_failed(__FILE__, __LINE__, #cond);                   \
    } while (0)
void fuzz_check_failed(const char *file, int line, const char *what)
    __attribute__((noreturn));

/* Reads input bytes in order; past the end every read gives zeros. */
struct fuzz_in {
    const uint8_t *data;
    size_t size, pos;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        uint8_t b = in->pos < in->size ? in->data[in->pos++] : 0;

        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

/* The rest of the input. */
static inline const uint8_t *fuzz_rest(struct fuzz_in *in, size_t *len)
{
    const uint8_t *p = in->data + in->pos;

    *len = in->size - in->pos;
    in->pos = in->size;
    return p;
}

/* A memfd holding exactly `size` bytes of `data` (reused between inputs:
 * pass the previous fd, or -1 the first time). */
int fuzz_memfd(int fd, const char *name, const void *data, size_t size);

/* Sends the tenders' console output (stdout) to /dev/null: libFuzzer
 * reports on stderr. */
void fuzz_quiet_stdout(void);

#endif /* FUZZ_UTIL_H */
