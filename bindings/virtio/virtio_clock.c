/*
 * virtio_clock.c: the clocks.
 *
 * Monotonic: KVM's pvclock when the hypervisor offers it (it stays right
 * across host TSC changes), otherwise the TSC, whose frequency is measured
 * at boot against the PIT (channel 2, gated through port 0x61, polled).
 * ns = tsc * mult >> shift, as on hvt.
 * Wall: the CMOS real-time clock, read once at boot, plus monotonic time
 * since then.
 */
#include "virtio.h"

#define NSEC_PER_SEC 1000000000ULL

/* PIT channel 2, mode 0 (interrupt on terminal count), binary, lo/hi. */
#define PIT_HZ 1193182ULL
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH2_MODE0 0xb0
#define PIT_GATE 0x61
#define PIT_GATE_ON 0x01
#define PIT_SPEAKER 0x02
#define PIT_OUT2 0x20
#define CALIBRATE_HZ 20 /* measure for 1/20 s */

/* KVM paravirtual clock (CPUID leaves 0x40000000.., MSR "kvm system time"). */
#define KVM_CPUID_SIGNATURE 0x40000000U
#define KVM_CPUID_FEATURES 0x40000001U
#define KVM_FEATURE_CLOCKSOURCE2 (1U << 3)
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01U

static volatile struct bindings_pvclock pvclock __attribute__((aligned(64)));
static bool use_pvclock;
static uint32_t tsc_mult;
static unsigned tsc_shift;
static uint64_t wall_at_boot, monotonic_at_boot;

static bool pvclock_init(void)
{
    uint32_t r[4];

    bindings_cpu_cpuid(KVM_CPUID_SIGNATURE, r);
    /* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX. */
    if (r[1] != 0x4b4d564bU || r[2] != 0x564b4d56U || r[3] != 0x4dU)
        return false;
    if (r[0] < KVM_CPUID_FEATURES)
        return false;
    bindings_cpu_cpuid(KVM_CPUID_FEATURES, r);
    if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
        return false;
    /* Identity-mapped: the virtual address is the physical one; bit 0
     * enables the updates. */
    bindings_cpu_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uintptr_t)&pvclock | 1);
    return true;
}

static uint64_t tsc_frequency(void)
{
    uint16_t count = (uint16_t)(PIT_HZ / CALIBRATE_HZ);
    uint8_t gate = virtio_inb(PIT_GATE);
    uint64_t start, end;

    virtio_outb(PIT_GATE, (gate & ~PIT_SPEAKER) | PIT_GATE_ON);
    virtio_outb(PIT_CMD, PIT_CMD_CH2_MODE0);
    virtio_outb(PIT_CH2, count & 0xff);
    virtio_outb(PIT_CH2, count >> 8);
    start = bindings_cpu_cycles();
    while (!(virtio_inb(PIT_GATE) & PIT_OUT2))
        ;
    end = bindings_cpu_cycles();
    virtio_outb(PIT_GATE, gate);
    return (end - start) * CALIBRATE_HZ;
}

static void tsc_init(uint64_t freq)
{
    unsigned shift = 32;

    if (freq == 0)
        BINDINGS_PANIC("could not measure the TSC frequency");
    while (shift > 0 && (NSEC_PER_SEC << shift) / freq > UINT32_MAX)
        shift--;
    tsc_mult = (uint32_t)((NSEC_PER_SEC << shift) / freq);
    tsc_shift = shift;
}

solo5_time_t solo5_clock_monotonic(void)
{
    unsigned __int128 product;

    if (use_pvclock)
        return bindings_pvclock_read(&pvclock);
    product = (unsigned __int128)bindings_cpu_cycles() * tsc_mult;
    return (solo5_time_t)(product >> tsc_shift);
}

/* --- CMOS real-time clock --- */
#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32
#define RTC_UPDATING 0x80
#define RTC_BINARY 0x04
#define RTC_24H 0x02
#define RTC_PM 0x80

static uint8_t rtc_read(uint8_t reg)
{
    virtio_outb(RTC_INDEX, reg);
    return virtio_inb(RTC_DATA);
}

struct rtc_time {
    unsigned sec, min, hour, day, month, year, century;
};

static void rtc_snapshot(struct rtc_time *t)
{
    while (rtc_read(RTC_STATUS_A) & RTC_UPDATING)
        ;
    t->sec = rtc_read(RTC_SECONDS);
    t->min = rtc_read(RTC_MINUTES);
    t->hour = rtc_read(RTC_HOURS);
    t->day = rtc_read(RTC_DAY);
    t->month = rtc_read(RTC_MONTH);
    t->year = rtc_read(RTC_YEAR);
    t->century = rtc_read(RTC_CENTURY);
}

static unsigned bcd(unsigned v)
{
    return (v & 0x0f) + (v >> 4) * 10;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static uint64_t rtc_epoch_ns(void)
{
    struct rtc_time a, b;
    uint8_t status;
    bool pm;
    int64_t year, days;

    /* Two equal snapshots: no update happened in between. */
    do {
        rtc_snapshot(&a);
        rtc_snapshot(&b);
    } while (a.sec != b.sec || a.min != b.min || a.hour != b.hour ||
            a.day != b.day || a.month != b.month || a.year != b.year);
    status = rtc_read(RTC_STATUS_B);
    pm = !(status & RTC_24H) && (a.hour & RTC_PM);
    a.hour &= ~RTC_PM;
    if (!(status & RTC_BINARY)) {
        a.sec = bcd(a.sec);
        a.min = bcd(a.min);
        a.hour = bcd(a.hour);
        a.day = bcd(a.day);
        a.month = bcd(a.month);
        a.year = bcd(a.year);
        a.century = bcd(a.century);
    }
    if (!(status & RTC_24H))
        a.hour = (a.hour % 12) + (pm ? 12 : 0);
    year = (a.century >= 19 && a.century <= 99) ? a.century * 100 + a.year
        : 2000 + a.year;
    if (a.month < 1 || a.month > 12 || a.day < 1 || a.day > 31)
        return 0;
    days = days_from_civil(year, a.month, a.day);
    if (days < 0)
        return 0;
    return (((uint64_t)days * 24 + a.hour) * 60 + a.min) * 60 * NSEC_PER_SEC +
        a.sec * NSEC_PER_SEC;
}

void virtio_clock_init(void)
{
    use_pvclock = pvclock_init();
    if (!use_pvclock)
        tsc_init(tsc_frequency());
    bindings_log(BINDINGS_LOG_DEBUG, "Solo5: clock: %s\n",
            use_pvclock ? "KVM pvclock" : "TSC calibrated on the PIT");
    wall_at_boot = rtc_epoch_ns();
    monotonic_at_boot = solo5_clock_monotonic();
}

solo5_time_t solo5_clock_wall(void)
{
    return wall_at_boot + (solo5_clock_monotonic() - monotonic_at_boot);
}
