/*
 * bindings_cmdline.c: Solo5's own options at the front of the command line.
 *
 * The tender joins the arguments after the unikernel with single spaces.
 * Leading whitespace and any leading "--solo5:<level>" options (each followed
 * by whitespace or the end) are consumed here; the rest goes to the app.
 */
#include "bindings.h"

static const struct {
    const char *option;
    enum bindings_log_level level;
} cmdline_options[] = {
    { "--solo5:quiet", BINDINGS_LOG_ERROR },
    { "--solo5:error", BINDINGS_LOG_ERROR },
    { "--solo5:warn", BINDINGS_LOG_WARN },
    { "--solo5:info", BINDINGS_LOG_INFO },
    { "--solo5:debug", BINDINGS_LOG_DEBUG },
};

static bool cmdline_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
        c == '\f';
}

static const char *cmdline_skip_space(const char *p)
{
    while (cmdline_is_space(*p))
        p++;
    return p;
}

/* The length of the option `p` starts with, or 0. */
static size_t cmdline_match(const char *p, enum bindings_log_level *level)
{
    for (size_t i = 0; i < sizeof(cmdline_options) / sizeof(cmdline_options[0]);
            i++) {
        size_t n = bindings_strlen(cmdline_options[i].option);

        if (bindings_strncmp(p, cmdline_options[i].option, n) == 0 &&
                (p[n] == '\0' || cmdline_is_space(p[n]))) {
            *level = cmdline_options[i].level;
            return n;
        }
    }
    return 0;
}

const char *bindings_cmdline_parse(const char *cmdline)
{
    const char *p;
    enum bindings_log_level level;
    size_t n;

    if (cmdline == NULL)
        return "";
    p = cmdline_skip_space(cmdline);
    while ((n = cmdline_match(p, &level)) != 0) {
        bindings_log_set_level(level);
        p = cmdline_skip_space(p + n);
    }
    return p;
}
