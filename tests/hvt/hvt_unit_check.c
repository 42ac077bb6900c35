/*
 * hvt_unit_check.c: drives solo5-hvt's pure helpers for tests/hvt/test_hvt_unit.py.
 *
 * One request per line on stdin, one answer per line on stdout:
 *   gpa MEM_SIZE R|W GPA LEN [RO_START RO_END]...
 *       -> "ok OFFSET" (the host address minus guest memory's base)
 *          or "err MESSAGE"
 *   mem MIB -> "ok BYTES ADJUSTED" or "err MESSAGE"
 *   insn HEXBYTES -> "fpu" or "other"
 *   pt MEM_MIB NX [r|x START END]... -> the page tables, page by page
 *       (hvt_unit_arch_x86_64.c; "none" on aarch64)
 * All numbers are decimal except HEXBYTES (e.g. 0f57c0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvt.h"

static uint8_t base[1];

static void check_gpa(char *rest)
{
    struct hvt h = { .mem = base };
    struct tender_err err;
    char access[2];
    uint64_t gpa, len;
    int used;
    uint8_t *p;

    if (sscanf(rest, "%" SCNu64 " %1s %" SCNu64 " %" SCNu64 "%n",
                &h.mem_size, access, &gpa, &len, &used) != 4) {
        puts("bad request");
        return;
    }
    rest += used;
    while (h.n_ro < HVT_RO_MAX && sscanf(rest, "%" SCNu64 " %" SCNu64 "%n",
                &h.ro[h.n_ro].start, &h.ro[h.n_ro].end, &used) == 2) {
        h.n_ro++;
        rest += used;
    }
    p = hvt_gpa(&h, gpa, len, access[0] == 'W' ? HVT_WRITE : HVT_READ, &err);
    if (p == NULL)
        printf("err %s\n", err.msg);
    else
        printf("ok %" PRIuPTR "\n", (uintptr_t)p - (uintptr_t)base);
}

static void check_mem(const char *rest)
{
    struct tender_err err;
    uint64_t mib = strtoull(rest, NULL, 10), bytes;
    bool adjusted;

    if (hvt_mem_round(mib, &bytes, &adjusted, &err) != 0)
        printf("err %s\n", err.msg);
    else
        printf("ok %" PRIu64 " %d\n", bytes, adjusted);
}

/* hvt_unit_arch_<arch>.c: the architecture's instruction classes and page
 * tables. */
void check_insn(const char *hex);
void check_pt(char *rest);

int main(void)
{
    char line[4096];

    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "gpa ", 4) == 0)
            check_gpa(line + 4);
        else if (strncmp(line, "mem ", 4) == 0)
            check_mem(line + 4);
        else if (strncmp(line, "insn ", 5) == 0)
            check_insn(line + 5);
        else if (strncmp(line, "pt ", 3) == 0)
            check_pt(line + 3);
        else
            puts("bad request");
        fflush(stdout);
    }
    return 0;
}
