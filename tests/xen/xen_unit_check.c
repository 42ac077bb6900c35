/*
 * xen_unit_check.c: the xen bindings' console ring writer, pvclock and
 * wall-clock arithmetic and page-table builder, compiled for the host with
 * a fake Xen (a ring in memory whose "console daemon" drains it when the
 * writer yields), driven line by line by tests/xen/test_xen_unit.py:
 *
 *   scale TSC_TIMESTAMP SYSTEM_TIME MUL SHIFT TSC  -> ns
 *   read UPDATES ODD    -> ns and TSC reads: Xen rewrites the record during
 *                          each of the first UPDATES reads; with ODD the
 *                          reader starts in the middle of an update (odd
 *                          version) that the first read completes
 *   wall VERSION SEC_HI SEC NSEC                   -> ns
 *   ring CONS DRAIN HEX -> what the daemon took (hex), kicks, yields, and
 *                          whether the ring was empty at return; the ring
 *                          starts with prod = cons = CONS, the daemon takes
 *                          DRAIN bytes per yield (0: it broke the ring)
 *   io HEX              -> what went to console_io (no ring)
 *   console PFN PORT RC -> the line xen_console_report() logs after
 *                          xen_console_init() with Xen's console parameters
 *                          PFN and PORT (RC: what HVMOP_get_param returns)
 *   pt STEXT ETEXT ERODATA TABLES NX ADDR...  -> pages, then per address
 *                          one of "-" (not mapped), "r", "rw", "rx", "rwx"
 *                          (the tables are written in host memory, mapped
 *                          as if they were at TABLES)
 *
 * Numbers are decimal or 0x-hex; an unknown command ends with status 2.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen.h"

#define LINE_MAX_SIZE 65536
#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL
#define PTE_ADDR 0x000ffffffffff000ULL

/* --- The fake Xen. --- */
static struct xencons_interface fake_ring;
static unsigned drain_per_yield, kicks, yields;
static char taken[LINE_MAX_SIZE];
static size_t taken_size;

/* The console daemon: takes what the writer published, a few at a time. */
void xen_sched_yield(void)
{
    yields++;
    if (drain_per_yield == 0) {
        fake_ring.out_cons = fake_ring.out_prod + 4096; /* broken */
        return;
    }
    for (unsigned i = 0; i < drain_per_yield &&
            fake_ring.out_cons != fake_ring.out_prod; i++) {
        if (taken_size < sizeof(taken))
            taken[taken_size++] = fake_ring.out[MASK_XENCONS_IDX(
                    fake_ring.out_cons, fake_ring.out)];
        fake_ring.out_cons++;
    }
}

void xen_evtchn_send(evtchn_port_t port)
{
    (void)port;
    kicks++;
}

/* HVM_PARAM_CONSOLE_PFN and _EVTCHN as Xen gives them. */
static uint64_t console_pfn, console_port;
static long get_param_rc;

long xen_hvm_get_param(uint32_t index, uint64_t *value)
{
    *value = 0;
    if (get_param_rc != 0)
        return get_param_rc;
    if (index == HVM_PARAM_CONSOLE_PFN)
        *value = console_pfn;
    else if (index == HVM_PARAM_CONSOLE_EVTCHN)
        *value = console_port;
    return 0;
}

/* The last message, formatted by the bindings' own printf. */
static char logged[256];

void bindings_log(enum bindings_log_level level, const char *fmt, ...)
{
    va_list ap;

    (void)level;
    va_start(ap, fmt);
    bindings_vsnprintf(logged, sizeof(logged), fmt, ap);
    va_end(ap);
}

size_t bindings_strlen(const char *s)
{
    return strlen(s);
}

long xen_hypercall_console_io(unsigned cmd, unsigned size, const char *buf)
{
    if (cmd == CONSOLEIO_write && taken_size + size <= sizeof(taken)) {
        memcpy(taken + taken_size, buf, size);
        taken_size += size;
    }
    return 0;
}

/* The vCPU time record and what reading the TSC does to it. */
static volatile struct bindings_pvclock record;
static unsigned updates_left, tsc_reads;

uint64_t bindings_cpu_cycles(void)
{
    tsc_reads++;
    if (record.version & 1) {
        record.version++; /* the update under way ends */
    } else if (updates_left > 0) {
        updates_left--;
        record.version += 2; /* a whole update under the reader */
    }
    return record.tsc_timestamp + 1000;
}

/* Reached only through what the harness does not call. */
static void unused(const char *what)
{
    fprintf(stderr, "xen_unit_check: %s called\n", what);
    exit(3);
}

long xen_hypercall_event_channel_op(unsigned cmd, void *arg)
{
    (void)cmd;
    (void)arg;
    unused("event_channel_op");
    return -1;
}

long xen_hypercall_set_timer_op(uint64_t deadline)
{
    (void)deadline;
    unused("set_timer_op");
    return -1;
}

void xen_evtchn_bind(evtchn_port_t port, xen_evtchn_handler handler)
{
    (void)port;
    (void)handler;
    unused("xen_evtchn_bind");
}

void xen_cpu_block_unless(volatile bool *flag)
{
    (void)flag;
    unused("xen_cpu_block_unless");
}

void xen_cpu_load_cr3(uint64_t cr3)
{
    (void)cr3;
    unused("xen_cpu_load_cr3");
}

uint64_t bindings_cpu_rdmsr(uint32_t msr)
{
    (void)msr;
    unused("bindings_cpu_rdmsr");
    return 0;
}

volatile struct shared_info *xen_shared_info(void)
{
    unused("xen_shared_info");
    return NULL;
}

void bindings_abort(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "ABORT: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    exit(2);
}

void *bindings_memset(void *dst, int c, size_t n)
{
    return memset(dst, c, n);
}

char _stext[1], _etext[1], _erodata[1], _end[1];

/* --- Commands. --- */
static uint64_t number(char **p)
{
    return strtoull(strtok_r(NULL, " \n", p), NULL, 0);
}

static size_t unhex(const char *hex, char *out, size_t max)
{
    size_t n = 0;

    while (hex != NULL && hex[0] && hex[1] && n < max) {
        unsigned byte;

        sscanf(hex, "%2x", &byte);
        out[n++] = (char)byte;
        hex += 2;
    }
    return n;
}

static void print_taken(void)
{
    for (size_t i = 0; i < taken_size; i++)
        printf("%02x", (unsigned char)taken[i]);
    if (taken_size == 0)
        printf("-");
}

static void cmd_scale(char **p)
{
    record.tsc_timestamp = number(p);
    record.system_time = number(p);
    record.tsc_to_system_mul = (uint32_t)number(p);
    record.tsc_shift = (int8_t)strtoll(strtok_r(NULL, " \n", p), NULL, 0);
    printf("%" PRIu64 "\n", bindings_pvclock_scale(&record, number(p)));
}

static void cmd_read(char **p)
{
    uint64_t ns;

    updates_left = (unsigned)number(p);
    tsc_reads = 0;
    record = (struct bindings_pvclock) {
        .version = number(p) ? 3 : 2, .tsc_timestamp = 5000, .system_time = 7,
        .tsc_to_system_mul = 1U << 31, .tsc_shift = 1,
    };
    ns = bindings_pvclock_read(&record);
    printf("%" PRIu64 " %u\n", ns, tsc_reads);
}

static void cmd_wall(char **p)
{
    static struct shared_info s;

    s.wc_version = (uint32_t)number(p);
    s.xen_wc_sec_hi = (uint32_t)number(p);
    s.wc_sec = (uint32_t)number(p);
    s.wc_nsec = (uint32_t)number(p);
    if (s.wc_version & 1) {
        printf("busy\n"); /* the reader would wait for Xen: not here */
        return;
    }
    printf("%" PRIu64 "\n", xen_wallclock_base(&s));
}

static void cmd_ring(char **p)
{
    static char data[LINE_MAX_SIZE / 2];
    XENCONS_RING_IDX start = (XENCONS_RING_IDX)number(p);
    size_t size;

    drain_per_yield = (unsigned)number(p);
    size = unhex(strtok_r(NULL, " \n", p), data, sizeof(data));
    memset(&fake_ring, 0, sizeof(fake_ring));
    fake_ring.out_prod = fake_ring.out_cons = start;
    taken_size = kicks = yields = 0;
    xen_console_use_ring(&fake_ring, 7);
    platform_console_write(data, size);
    print_taken();
    printf(" %u %u %s\n", kicks, yields,
            fake_ring.out_cons == fake_ring.out_prod ? "empty" : "left");
}

static void cmd_io(char **p)
{
    static char data[LINE_MAX_SIZE / 2];
    size_t size = unhex(strtok_r(NULL, " \n", p), data, sizeof(data));

    xen_console_use_ring(NULL, 0);
    taken_size = 0;
    platform_console_write(data, size);
    print_taken();
    printf("\n");
}

static void cmd_console(char **p)
{
    console_pfn = number(p);
    console_port = number(p);
    get_param_rc = (long)strtoll(strtok_r(NULL, " \n", p), NULL, 0);
    xen_console_use_ring(NULL, 0);
    xen_console_init();
    logged[0] = '\0';
    xen_console_report();
    logged[strcspn(logged, "\n")] = '\0';
    printf("%s\n", logged[0] ? logged : "-");
}

/* The leaf entry for `addr` and whether the walk may write / execute. */
static const char *walk(uint64_t cr3, uint64_t addr)
{
    static const int shifts[] = { 39, 30, 21, 12 };
    uint64_t table = cr3, entry = 0;
    bool write = true, nx = false;

    for (int level = 0; level < 4; level++) {
        entry = ((uint64_t *)(uintptr_t)(table & PTE_ADDR))[(addr >> shifts[level]) & 511];
        if (!(entry & PTE_P))
            return "-";
        write = write && (entry & PTE_RW);
        nx = nx || (entry & XEN_PTE_NX);
        if (level == 2 && (entry & PTE_PS)) {
            if ((entry & PTE_ADDR & ~0x1fffffULL) != (addr & ~0x1fffffULL))
                return "wrong-address";
            break;
        }
        if (level == 3 && (entry & PTE_ADDR) != (addr & ~0xfffULL))
            return "wrong-address";
        table = entry;
    }
    return write ? (nx ? "rw" : "rwx") : (nx ? "r" : "rx");
}

static void cmd_pt(char **p)
{
    struct xen_image image;
    uint64_t nx, cr3, *pages;
    size_t n;
    char *word;

    image.stext = number(p);
    image.etext = number(p);
    image.erodata = number(p);
    image.tables = number(p);
    nx = number(p) ? XEN_PTE_NX : 0;
    n = xen_pagetable_pages(&image);
    pages = aligned_alloc(4096, n * 4096);
    memset(pages, 0xa5, n * 4096); /* the builder must clear what it uses */
    cr3 = xen_pagetable_build(pages, &image, nx);
    printf("%zu", n);
    while ((word = strtok_r(NULL, " \n", p)) != NULL)
        printf(" %s", walk(cr3, strtoull(word, NULL, 0)));
    printf("\n");
    free(pages);
}

int main(void)
{
    static char line[LINE_MAX_SIZE];

    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *save = NULL, *cmd = strtok_r(line, " \n", &save);

        if (cmd == NULL)
            continue;
        if (strcmp(cmd, "scale") == 0)
            cmd_scale(&save);
        else if (strcmp(cmd, "read") == 0)
            cmd_read(&save);
        else if (strcmp(cmd, "wall") == 0)
            cmd_wall(&save);
        else if (strcmp(cmd, "ring") == 0)
            cmd_ring(&save);
        else if (strcmp(cmd, "io") == 0)
            cmd_io(&save);
        else if (strcmp(cmd, "console") == 0)
            cmd_console(&save);
        else if (strcmp(cmd, "pt") == 0)
            cmd_pt(&save);
        else
            return 2;
    }
    return 0;
}
