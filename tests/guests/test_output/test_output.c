/*
 * test_output: writes 4 KiB of text in a single console write.
 *
 * The text is 64 lines of 64 bytes: "NN " (the line number, two digits),
 * then the printable ASCII characters from '!' cycling, shifted by the line
 * number, then '\n'.  tests/integration recomputes it to compare the bytes.
 *
 * With the argument "many": MANY_LINES lines "line <n>\n", one console
 * write each, then the 4 KiB text BIG_COPIES times in one write (more than
 * solo5-hvt's console ring holds), then MANY_LINES more lines: every byte
 * must come out, in order.
 */
#include "guest.h"

#define LINES 64
#define LINE_LEN 64
#define MANY_LINES 3000
#define BIG_COPIES 32

static char text[LINES * LINE_LEN];
static char big[BIG_COPIES * sizeof(text)];

/* "line <n>\n" for n in [from, to), one console write each. */
static void numbered_lines(unsigned from, unsigned to)
{
    for (unsigned n = from; n < to; n++) {
        char line[32] = "line ", digits[16];
        size_t len = 5, nd = 0;
        unsigned v = n;

        do {
            digits[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (nd > 0)
            line[len++] = digits[--nd];
        line[len++] = '\n';
        solo5_console_write(line, len);
    }
}

static void fill_text(void)
{
    for (int line = 0; line < LINES; line++) {
        char *p = text + line * LINE_LEN;

        p[0] = (char)('0' + line / 10);
        p[1] = (char)('0' + line % 10);
        p[2] = ' ';
        for (int i = 3; i < LINE_LEN - 1; i++)
            p[i] = (char)('!' + (line + i) % 94);
        p[LINE_LEN - 1] = '\n';
    }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    guest_banner("test_output");
    fill_text();
    if (strcmp(si->cmdline, "many") == 0) {
        numbered_lines(0, MANY_LINES);
        for (int i = 0; i < BIG_COPIES; i++)
            memcpy(big + i * sizeof(text), text, sizeof(text));
        solo5_console_write(big, sizeof(big));
        numbered_lines(MANY_LINES, 2 * MANY_LINES);
    } else if (si->cmdline[0] != '\0') {
        return guest_failure("usage: test_output [many]");
    } else {
        solo5_console_write(text, sizeof(text));
    }
    return guest_success();
}
