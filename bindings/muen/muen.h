/*
 * muen.h: internals of the muen bindings.
 *
 * A Muen subject runs in 64-bit mode in memory the system policy gives it;
 * it talks to the rest of the system only through shared-memory channels
 * named in its subject information page ("sinfo"), and reads the time from
 * the time information page.  There is no tender: exit halts the subject.
 *
 * Layouts (documented in docs/targets.md; no Muen host is available here,
 * so they are checked by building and linking only):
 *   - sinfo at MUEN_SINFO_BASE: magic, channel count, TSC kHz, then up to
 *     255 channel descriptors (name, address, size, flags, event, vector);
 *   - time info at MUEN_TIME_INFO_BASE: TSC time base (microseconds since
 *     1970 at TSC 0), TSC tick rate in Hz, time zone offset;
 *   - channels: the SHMStream v2 header (64 bytes), then the elements.
 */
#ifndef MUEN_H_INCLUDED
#define MUEN_H_INCLUDED

#include "../bindings.h"
#include "elf_abi.h"

#define MUEN_SINFO_MAGIC 0x01006f666e69756dULL /* "muinfo", version 1 */
#define MUEN_NAME_MAX 63
#define MUEN_CHANNELS_MAX 255
#define MUEN_CHANNEL_WRITABLE (1U << 0)

struct muen_name {
    uint8_t length;
    char data[MUEN_NAME_MAX];
} __attribute__((packed));

struct muen_channel_info {
    struct muen_name name;
    uint64_t address;
    uint64_t size;
    uint8_t flags;
    uint8_t event;
    uint8_t vector;
    char padding[5];
} __attribute__((packed, aligned(8)));

struct muen_sinfo {
    uint64_t magic;
    uint8_t channel_count;
    char padding[7];
    uint64_t tsc_khz;
    struct muen_channel_info channels[MUEN_CHANNELS_MAX];
} __attribute__((packed, aligned(8)));

struct muen_time_info {
    uint64_t tsc_time_base;   /* microseconds since 1970 at TSC 0 */
    int64_t tsc_tick_rate_hz;
    int64_t timezone_microsecs;
};

/* SHMStream v2 channel header. */
#define MUEN_SHMSTREAM_MARKER 0x487312b6b79a9b6dULL
#define MUEN_NULL_EPOCH 0

struct muen_channel_header {
    volatile uint64_t transport;
    volatile uint64_t epoch;
    uint64_t protocol;
    uint64_t size;      /* bytes per element */
    uint64_t elements;
    uint64_t reserved;
    volatile uint64_t wsc; /* write start counter */
    volatile uint64_t wc;  /* write counter */
} __attribute__((aligned(64)));

struct muen_writer {
    struct muen_channel_header *header;
    uint8_t *data;
    uint64_t elements, size;
};

struct muen_reader {
    const struct muen_channel_header *header;
    const uint8_t *data;
    uint64_t epoch, protocol, size, elements, rc;
};

enum muen_read_result {
    MUEN_READ_OK,
    MUEN_READ_EMPTY,
    MUEN_READ_INACTIVE,
    MUEN_READ_OVERRUN, /* the writer lapped us: data lost, resynchronised */
};

/* muen_sinfo.c */
const struct muen_sinfo *muen_sinfo(void);
const struct muen_channel_info *muen_channel(const char *name);
/* "<base><suffix>" into buf; false if it does not fit a channel name. */
bool muen_channel_name(char *buf, const char *base, const char *suffix);

/* muen_channel.c */
bool muen_writer_init(struct muen_writer *w, const struct muen_channel_info *c,
        uint64_t protocol, uint64_t element_size, uint64_t epoch);
void muen_writer_write(struct muen_writer *w, const void *element);
void muen_reader_init(struct muen_reader *r, const struct muen_channel_info *c,
        uint64_t protocol);
enum muen_read_result muen_reader_read(struct muen_reader *r, void *element);
bool muen_reader_has_data(struct muen_reader *r);

/* muen_console.c, muen_clock.c, muen_net.c, muen_block.c */
void muen_console_init(void);
void muen_clock_init(void);
uint64_t muen_epoch(void);
void muen_net_init(struct mft *mft);
void muen_block_init(struct mft *mft);
solo5_handle_set_t muen_net_ready(void);

void muen_start(uint64_t stack_top) BINDINGS_NORETURN;

#endif /* MUEN_H_INCLUDED */
