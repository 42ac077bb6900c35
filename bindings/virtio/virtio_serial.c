/*
 * virtio_serial.c: the console, on the first 16550 UART (COM1) at
 * 115200 baud, 8 data bits, no parity, one stop bit; polled.
 */
#include "virtio.h"

#define COM1 0x3f8
#define UART_DATA 0        /* DLAB=0: transmit holding register */
#define UART_DIVISOR_LOW 0 /* DLAB=1 */
#define UART_IER 1         /* DLAB=0: interrupt enable */
#define UART_DIVISOR_HIGH 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define UART_LCR_DLAB 0x80
#define UART_LCR_8N1 0x03
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_THRE 0x20
#define UART_CLOCK 115200
#define UART_BAUD 115200

/* Bounded wait for the transmitter: a missing UART must not hang us. */
#define UART_SPIN_MAX 100000

void virtio_serial_init(void)
{
    uint16_t divisor = UART_CLOCK / UART_BAUD;

    virtio_outb(COM1 + UART_IER, 0);
    virtio_outb(COM1 + UART_LCR, UART_LCR_DLAB);
    virtio_outb(COM1 + UART_DIVISOR_LOW, divisor & 0xff);
    virtio_outb(COM1 + UART_DIVISOR_HIGH, divisor >> 8);
    virtio_outb(COM1 + UART_LCR, UART_LCR_8N1);
    virtio_outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
    virtio_outb(COM1 + UART_MCR, UART_MCR_DTR_RTS);
}

static void serial_putc(char c)
{
    for (int i = 0; i < UART_SPIN_MAX; i++) {
        if (virtio_inb(COM1 + UART_LSR) & UART_LSR_THRE)
            break;
        bindings_cpu_pause();
    }
    virtio_outb(COM1 + UART_DATA, (uint8_t)c);
}

void platform_console_write(const char *buf, size_t size)
{
    for (size_t i = 0; i < size; i++)
        serial_putc(buf[i]);
}
