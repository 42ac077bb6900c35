/*
 * test_bigimage: a unikernel whose image spans several of solo5-hvt's huge
 * pages (tenders/hvt/hvt_mem_prefault.c faults them in on a helper thread
 * while the main thread loads the image): every byte of a 5 MiB read-only
 * array and of a 3 MiB writable one must be what the ELF file holds.
 */
#include "guest.h"

#define RO_SIZE (5 * 1024 * 1024)
#define RW_SIZE (3 * 1024 * 1024)

static const uint8_t ro[RO_SIZE] = { [0 ... RO_SIZE - 1] = 0xa5 };
static uint8_t rw[RW_SIZE] = { [0 ... RW_SIZE - 1] = 0x3c };

/* Whether every byte of buf[0, size) is `want`; if not, says where. */
static bool all_are(const char *what, const volatile uint8_t *buf,
                    size_t size, uint8_t want)
{
    for (size_t i = 0; i < size; i++) {
        if (buf[i] != want) {
            guest_puts(what);
            guest_puts(" differs at byte ");
            guest_put_dec(i);
            guest_puts("\n");
            return false;
        }
    }
    return true;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    guest_banner("test_bigimage");
    if (!all_are("read-only array", ro, RO_SIZE, 0xa5))
        return guest_failure("read-only array");
    if (!all_are("writable array", rw, RW_SIZE, 0x3c))
        return guest_failure("writable array");
    return guest_success();
}
