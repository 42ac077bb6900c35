/*
 * test_output: writes 4 KiB of text in a single console write.
 *
 * The text is 64 lines of 64 bytes: "NN " (the line number, two digits),
 * then the printable ASCII characters from '!' cycling, shifted by the line
 * number, then '\n'.  tests/integration recomputes it to compare the bytes.
 */
#include "guest.h"

#define LINES 64
#define LINE_LEN 64

static char text[LINES * LINE_LEN];

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_output");

    for (int line = 0; line < LINES; line++) {
        char *p = text + line * LINE_LEN;

        p[0] = (char)('0' + line / 10);
        p[1] = (char)('0' + line % 10);
        p[2] = ' ';
        for (int i = 3; i < LINE_LEN - 1; i++)
            p[i] = (char)('!' + (line + i) % 94);
        p[LINE_LEN - 1] = '\n';
    }
    solo5_console_write(text, sizeof(text));
    return guest_success();
}
