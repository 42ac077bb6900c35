/*
 * bindings_printf.c: a small vsnprintf for the bindings' own messages.
 *
 * Supports %d %i %u %x %X %o %c %s %p %% with the flags '-' and '0', a field
 * width (or '*') and the length modifiers hh, h, l, ll, z and t.  That covers
 * every message the bindings print; anything else is copied as is.
 */
#include "bindings.h"

struct out {
    char *buf;
    size_t size;    /* capacity of buf, NUL included */
    size_t len;     /* characters produced so far, even beyond size */
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

struct spec {
    bool left;
    bool zero;
    int width;
};

static void out_field(struct out *o, const struct spec *sp, const char *s,
        size_t n, const char *prefix)
{
    size_t plen = bindings_strlen(prefix);
    int pad = sp->width - (int)(n + plen);

    if (!sp->left && !sp->zero)
        out_pad(o, ' ', pad);
    while (*prefix)
        out_char(o, *prefix++);
    if (!sp->left && sp->zero)
        out_pad(o, '0', pad);
    while (n--)
        out_char(o, *s++);
    if (sp->left)
        out_pad(o, ' ', pad);
}

static void out_number(struct out *o, const struct spec *sp,
        unsigned long long v, unsigned base, bool upper, bool negative,
        const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0;

    do {
        tmp[sizeof(tmp) - ++n] = digits[v % base];
        v /= base;
    } while (v);
    out_field(o, sp, &tmp[sizeof(tmp) - n], n, negative ? "-" : prefix);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static long long arg_signed(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR:
        return (signed char)va_arg(*ap, int);
    case LEN_SHORT:
        return (short)va_arg(*ap, int);
    case LEN_LONG:
        return va_arg(*ap, long);
    case LEN_LLONG:
        return va_arg(*ap, long long);
    case LEN_SIZE:
        return (long long)va_arg(*ap, size_t);
    default:
        return va_arg(*ap, int);
    }
}

static unsigned long long arg_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case LEN_CHAR:
        return (unsigned char)va_arg(*ap, unsigned);
    case LEN_SHORT:
        return (unsigned short)va_arg(*ap, unsigned);
    case LEN_LONG:
        return va_arg(*ap, unsigned long);
    case LEN_LLONG:
        return va_arg(*ap, unsigned long long);
    case LEN_SIZE:
        return va_arg(*ap, size_t);
    default:
        return va_arg(*ap, unsigned);
    }
}

static const char *parse_spec(const char *f, struct spec *sp, enum length *len,
        va_list *ap)
{
    sp->left = sp->zero = false;
    sp->width = 0;
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    *len = LEN_INT;
    if (f[0] == 'h' && f[1] == 'h') {
        *len = LEN_CHAR;
        f += 2;
    } else if (f[0] == 'h') {
        *len = LEN_SHORT;
        f++;
    } else if (f[0] == 'l' && f[1] == 'l') {
        *len = LEN_LLONG;
        f += 2;
    } else if (f[0] == 'l') {
        *len = LEN_LONG;
        f++;
    } else if (f[0] == 'z' || f[0] == 't') {
        *len = LEN_SIZE;
        f++;
    }
    return f;
}

int bindings_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { .buf = buf, .size = size, .len = 0 };
    va_list args;

    va_copy(args, ap);
    while (*fmt) {
        struct spec sp;
        enum length len;
        const char *s;
        long long sv;

        if (*fmt != '%') {
            out_char(&o, *fmt++);
            continue;
        }
        fmt = parse_spec(fmt + 1, &sp, &len, &args);
        switch (*fmt) {
        case 'd':
        case 'i':
            sv = arg_signed(&args, len);
            out_number(&o, &sp,
                    sv < 0 ? 0ULL - (unsigned long long)sv : (unsigned long long)sv,
                    10, false, sv < 0, "");
            break;
        case 'u':
            out_number(&o, &sp, arg_unsigned(&args, len), 10, false, false, "");
            break;
        case 'x':
        case 'X':
            out_number(&o, &sp, arg_unsigned(&args, len), 16, *fmt == 'X',
                    false, "");
            break;
        case 'o':
            out_number(&o, &sp, arg_unsigned(&args, len), 8, false, false, "");
            break;
        case 'p':
            out_number(&o, &sp, (uintptr_t)va_arg(args, void *), 16, false,
                    false, "0x");
            break;
        case 'c': {
            char c = (char)va_arg(args, int);

            out_field(&o, &sp, &c, 1, "");
            break;
        }
        case 's':
            s = va_arg(args, const char *);
            if (s == NULL)
                s = "(null)";
            sp.zero = false;
            out_field(&o, &sp, s, bindings_strlen(s), "");
            break;
        case '%':
            out_char(&o, '%');
            break;
        case '\0':
            /* A lone '%' at the end: print it rather than read past. */
            out_char(&o, '%');
            continue;
        default:
            out_char(&o, '%');
            out_char(&o, *fmt);
            break;
        }
        fmt++;
    }
    va_end(args);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int bindings_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = bindings_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
