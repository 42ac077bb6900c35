/*
 * hvt_gdb_mem.c: guest memory as the debugger sees it, and the
 * breakpoints and watchpoints it plants (for hvt_gdb.c).
 *
 * Guest virtual addresses are guest physical (hvt's identity map); every
 * access is checked by hvt_gpa() against guest memory.  Writes go through
 * /proc/self/mem (HVT_DEBUG_FD_MEM), which may write the read-only .text
 * mapping without ever making it writable: the guest itself still cannot.
 * Software breakpoints are int3 bytes; reads show what they replaced.
 * Hardware ones only record what hvt_gdb_<arch>.c loads into DR0-3; write
 * watchpoints also keep the watched bytes, which the server compares after
 * every step (kvm-pvm does not report data breakpoints: hvt_gdb.c).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hvt_debug.h"

/* Writes through /proc/self/mem: works on the read-only .text mapping
 * without ever making it writable for the guest. */
static int gdb_mem_write(struct hvt *h, struct hvt_debug *d, uint64_t gpa,
        const uint8_t *buf, size_t len)
{
    struct tender_err ignored;
    uint8_t *p = hvt_gpa(h, gpa, len, HVT_READ, &ignored);
    size_t done = 0;

    if (p == NULL)
        return -1;
    while (done < len) {
        ssize_t n = pwrite(d->mem_fd, buf + done, len - done,
                (off_t)(uintptr_t)(p + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

struct hvt_gdb_sw *hvt_gdb_sw_at(struct hvt_debug *d, uint64_t addr)
{
    for (unsigned i = 0; i < HVT_GDB_SW_MAX; i++)
        if (d->sw[i].used && d->sw[i].addr == addr)
            return &d->sw[i];
    return NULL;
}

void hvt_gdb_read_memory(struct hvt *h, struct hvt_debug *d,
        const char *args, char *reply)
{
    struct tender_err ignored;
    uint64_t addr, len;
    const uint8_t *p;
    uint8_t buf[HVT_GDB_PACKET_MAX / 2];

    if (!hvt_gdb_parse_hex(&args, &addr) || *args++ != ',' ||
            !hvt_gdb_parse_hex(&args, &len)) {
        strcpy(reply, "E01");
        return;
    }
    if (len > sizeof(buf) - 1)
        len = sizeof(buf) - 1;
    p = hvt_gpa(h, addr, len, HVT_READ, &ignored);
    if (p == NULL) {
        strcpy(reply, "E01");
        return;
    }
    memcpy(buf, p, len);
    /* Planted breakpoints read as what they replaced. */
    for (unsigned i = 0; i < HVT_GDB_SW_MAX; i++) {
        const struct hvt_gdb_sw *s = &d->sw[i];

        if (s->used && s->addr >= addr && s->addr - addr < len)
            buf[s->addr - addr] = s->orig;
    }
    hvt_gdb_to_hex(reply, buf, len);
}

void hvt_gdb_write_memory(struct hvt *h, struct hvt_debug *d,
        const char *args, char *reply)
{
    uint64_t addr, len;
    uint8_t buf[HVT_GDB_PACKET_MAX / 2];

    strcpy(reply, "E01");
    if (!hvt_gdb_parse_hex(&args, &addr) || *args++ != ',' ||
            !hvt_gdb_parse_hex(&args, &len) || *args++ != ':' ||
            len > sizeof(buf) || strlen(args) != 2 * len ||
            !hvt_gdb_from_hex(buf, args, len))
        return;
    /* Under a planted breakpoint the new byte becomes what it restores. */
    for (unsigned i = 0; i < HVT_GDB_SW_MAX; i++) {
        struct hvt_gdb_sw *s = &d->sw[i];

        if (s->used && s->addr >= addr && s->addr - addr < len) {
            s->orig = buf[s->addr - addr];
            buf[s->addr - addr] = 0xcc;
        }
    }
    if (gdb_mem_write(h, d, addr, buf, len) == 0)
        strcpy(reply, "OK");
}

/* --- Breakpoints and watchpoints. --- */

void hvt_gdb_snapshot_watch(struct hvt *h, struct hvt_gdb_hw *w)
{
    struct tender_err ignored;
    const uint8_t *p = hvt_gpa(h, w->addr, w->len, HVT_READ, &ignored);

    if (p != NULL)
        memcpy(w->old, p, w->len);
}

static const char *gdb_insert(struct hvt *h, struct hvt_debug *d,
        uint64_t type, uint64_t addr, uint64_t kind)
{
    struct tender_err ignored;
    const uint8_t *p;

    if (type == HVT_GDB_BP_SW) {
        static const uint8_t int3 = 0xcc;
        struct hvt_gdb_sw *s = hvt_gdb_sw_at(d, addr);

        if (s != NULL)
            return "OK";
        p = hvt_gpa(h, addr, 1, HVT_READ, &ignored);
        if (p == NULL)
            return "E01";
        for (unsigned i = 0; i < HVT_GDB_SW_MAX; i++) {
            if (d->sw[i].used)
                continue;
            d->sw[i] = (struct hvt_gdb_sw){ true, addr, *p };
            if (gdb_mem_write(h, d, addr, &int3, 1) != 0) {
                d->sw[i].used = false;
                return "E01";
            }
            return "OK";
        }
        return "E02";
    }
    if (type > HVT_GDB_WATCH_ACCESS)
        return "";
    if (!hvt_gdb_hw_ok((enum hvt_gdb_bp_type)type, addr, (unsigned)kind) ||
            hvt_gpa(h, addr, kind, HVT_READ, &ignored) == NULL)
        return "E01";
    for (unsigned i = 0; i < HVT_GDB_HW_MAX; i++) {
        struct hvt_gdb_hw *w = &d->hw[i];

        if (w->used)
            continue;
        *w = (struct hvt_gdb_hw){ .used = true,
            .type = (enum hvt_gdb_bp_type)type, .addr = addr,
            .len = (unsigned)kind };
        hvt_gdb_snapshot_watch(h, w);
        return "OK";
    }
    return "E02";
}

static const char *gdb_remove(struct hvt *h, struct hvt_debug *d,
        uint64_t type, uint64_t addr, uint64_t kind)
{
    if (type == HVT_GDB_BP_SW) {
        struct hvt_gdb_sw *s = hvt_gdb_sw_at(d, addr);

        if (s == NULL)
            return "OK";
        if (gdb_mem_write(h, d, addr, &s->orig, 1) != 0)
            return "E01";
        s->used = false;
        return "OK";
    }
    if (type > HVT_GDB_WATCH_ACCESS)
        return "";
    for (unsigned i = 0; i < HVT_GDB_HW_MAX; i++) {
        struct hvt_gdb_hw *w = &d->hw[i];

        if (w->used && w->type == type && w->addr == addr && w->len == kind)
            w->used = false;
    }
    return "OK";
}

void hvt_gdb_breakpoint(struct hvt *h, struct hvt_debug *d,
        const char *pkt, char *reply)
{
    const char *p = pkt + 1;
    uint64_t type, addr, kind;

    if (!hvt_gdb_parse_hex(&p, &type) || *p++ != ',' ||
            !hvt_gdb_parse_hex(&p, &addr) || *p++ != ',' ||
            !hvt_gdb_parse_hex(&p, &kind)) {
        strcpy(reply, "E01");
        return;
    }
    strcpy(reply, pkt[0] == 'Z' ? gdb_insert(h, d, type, addr, kind) :
            gdb_remove(h, d, type, addr, kind));
}

/* Removes every breakpoint and stops debugging the vCPU (detach). */
void hvt_gdb_clear_all(struct hvt *h, struct hvt_debug *d)
{
    struct tender_err ignored;

    for (unsigned i = 0; i < HVT_GDB_SW_MAX; i++)
        if (d->sw[i].used)
            gdb_remove(h, d, HVT_GDB_BP_SW, d->sw[i].addr, 1);
    memset(d->hw, 0, sizeof(d->hw));
    d->step = false;
    d->watch_stepping = false;
    hvt_gdb_arch_debug(h, d, &ignored);
}

/* A write watchpoint whose value changed, or NULL. */
const struct hvt_gdb_hw *hvt_gdb_watch_changed(struct hvt *h,
        struct hvt_debug *d)
{
    struct tender_err ignored;

    for (unsigned i = 0; i < HVT_GDB_HW_MAX; i++) {
        struct hvt_gdb_hw *w = &d->hw[i];
        const uint8_t *p;

        if (!w->used || w->type != HVT_GDB_WATCH_WRITE)
            continue;
        p = hvt_gpa(h, w->addr, w->len, HVT_READ, &ignored);
        if (p != NULL && memcmp(p, w->old, w->len) != 0) {
            memcpy(w->old, p, w->len);
            return w;
        }
    }
    return NULL;
}

