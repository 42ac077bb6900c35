/*
 * bench_args.h: splitting the command line of the benchmark guests into
 * words ("read 4096 67108864").
 */
#ifndef BENCH_ARGS_H_INCLUDED
#define BENCH_ARGS_H_INCLUDED

#include "guest.h"

#define BENCH_MAX_WORDS 4
#define BENCH_WORD_SIZE 16

/* Copies up to BENCH_MAX_WORDS space-separated words; returns how many. */
static inline int bench_words(const char *s, char words[][BENCH_WORD_SIZE])
{
    int n = 0;

    while (*s && n < BENCH_MAX_WORDS) {
        size_t len = 0;

        while (*s == ' ')
            s++;
        if (!*s)
            break;
        while (s[len] && s[len] != ' ' && len < BENCH_WORD_SIZE - 1) {
            words[n][len] = s[len];
            len++;
        }
        words[n][len] = '\0';
        while (s[len] && s[len] != ' ')
            len++;
        s += len;
        n++;
    }
    return n;
}

#endif /* BENCH_ARGS_H_INCLUDED */
