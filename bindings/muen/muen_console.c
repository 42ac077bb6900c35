/*
 * muen_console.c: the console is the writer of channel "debuglog"; each
 * element carries up to MUEN_CONSOLE_CHUNK bytes.  Without the channel the
 * output is dropped, as solo5_console_write() allows.
 */
#include "muen.h"

#define MUEN_CONSOLE_CHUNK 56

struct console_element {
    uint64_t length;
    char data[MUEN_CONSOLE_CHUNK];
};

static struct muen_writer console;
static bool console_ready;

void muen_console_init(void)
{
    console_ready = muen_writer_init(&console, muen_channel("debuglog"),
            MUEN_PROTOCOL_DEBUGLOG, sizeof(struct console_element), muen_epoch());
}

void platform_console_write(const char *buf, size_t size)
{
    struct console_element e;

    while (console_ready && size > 0) {
        size_t n = size < MUEN_CONSOLE_CHUNK ? size : MUEN_CONSOLE_CHUNK;

        bindings_memset(&e, 0, sizeof(e));
        e.length = n;
        bindings_memcpy(e.data, buf, n);
        muen_writer_write(&console, &e);
        buf += n;
        size -= n;
    }
}
