/*
 * tender_net.c: the "net" module: --net:NAME=IFACE attaches an existing TAP
 * interface (or --net:NAME=@FD an already-open TAP fd) as the NET_BASIC
 * device NAME; --net-mac:NAME=xx:xx:xx:xx:xx:xx sets its MAC address, which
 * is otherwise random, unicast and locally administered.
 *
 * Unlike upstream, the @FD form works: the MTU is read from the interface
 * the fd is bound to (TUNGETIFF, then SIOCGIFMTU).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tender_mft.h"
#include "tender_modules.h"

#define NET_OPT "--net:"
#define MAC_OPT "--net-mac:"
#define TUN_DEV "/dev/net/tun"

static int net_entry(struct tender *t, const char *name,
        struct mft_entry **e, struct tender_err *err)
{
    *e = tender_mft_find(t->mft, name, MFT_DEV_NET_BASIC, NULL);
    if (*e == NULL) {
        tender_err_set(err, "Resource not declared in manifest: '%s'", name);
        return TENDER_ARG_INVALID;
    }
    return TENDER_ARG_HANDLED;
}

/* Reads the flags and MTU of interface `ifname`. */
static int net_if_info(const char *ifname, short *flags, int *mtu,
        struct tender_err *err)
{
    struct ifreq ifr;
    int s;

    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return tender_err_set(err, "Could not attach interface: %s: "
                "socket: %s", ifname, strerror(errno));
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
        int e = errno;
        close(s);
        return tender_err_set(err, "Could not attach interface: %s: %s",
                ifname, strerror(e));
    }
    *flags = ifr.ifr_flags;
    if (ioctl(s, SIOCGIFMTU, &ifr) != 0) {
        int e = errno;
        close(s);
        return tender_err_set(err, "Could not attach interface: %s: "
                "cannot read MTU: %s", ifname, strerror(e));
    }
    *mtu = ifr.ifr_mtu;
    close(s);
    return 0;
}

static int net_open_tap(const char *ifname, int *fd, struct tender_err *err)
{
    struct ifreq ifr;

    if (strlen(ifname) >= IFNAMSIZ)
        return tender_err_set(err, "Could not attach interface: %s: name "
                "too long (max %d characters)", ifname, IFNAMSIZ - 1);
    /* TUNSETIFF would create a missing interface: we attach only. */
    if (if_nametoindex(ifname) == 0)
        return tender_err_set(err, "Could not attach interface: %s: no such "
                "interface", ifname);
    *fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return tender_err_set(err, "Could not attach interface: %s: %s: %s",
                ifname, TUN_DEV, strerror(errno));
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(*fd, TUNSETIFF, &ifr) != 0) {
        int e = errno;
        close(*fd);
        return tender_err_set(err, "Could not attach interface: %s: %s%s",
                ifname, strerror(e), e == EINVAL ? " (not a TAP interface?)"
                : "");
    }
    return 0;
}

/* @FD: an open TAP fd handed over by the caller. */
static int net_use_fd(const char *spec, int *fd, char *ifname,
        struct tender_err *err)
{
    struct ifreq ifr;
    char *end;
    long v;
    int fl;

    errno = 0;
    v = strtol(spec + 1, &end, 10);
    if (spec[1] < '0' || spec[1] > '9' || *end != '\0' || errno != 0 ||
            v > INT32_MAX)
        return tender_err_set(err, "Could not attach interface: %s: not a "
                "file descriptor number", spec);
    *fd = (int)v;
    fl = fcntl(*fd, F_GETFL);
    if (fl < 0 || fcntl(*fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return tender_err_set(err, "Could not attach interface: %s: %s",
                spec, strerror(errno));
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(*fd, TUNGETIFF, &ifr) != 0)
        return tender_err_set(err, "Could not attach interface: %s: not a "
                "TAP device: %s", spec, strerror(errno));
    if ((ifr.ifr_flags & IFF_TAP) == 0 || (ifr.ifr_flags & IFF_NO_PI) == 0)
        return tender_err_set(err, "Could not attach interface: %s: not a "
                "TAP device opened with IFF_NO_PI", spec);
    snprintf(ifname, IFNAMSIZ, "%s", ifr.ifr_name);
    return 0;
}

static int net_attach(struct tender *t, const char *name, const char *iface,
        struct tender_err *err)
{
    char ifname[IFNAMSIZ];
    struct mft_entry *e;
    short flags = 0;
    int fd = -1, mtu = 0, rc;

    rc = net_entry(t, name, &e, err);
    if (rc != TENDER_ARG_HANDLED)
        return rc;
    if (e->attached) {
        tender_err_set(err, "Network device '%s' is attached twice", name);
        return TENDER_ARG_INVALID;
    }
    if (iface[0] == '@') {
        if (net_use_fd(iface, &fd, ifname, err) != 0)
            return TENDER_ARG_ERROR;
    } else {
        if (net_open_tap(iface, &fd, err) != 0)
            return TENDER_ARG_ERROR;
        snprintf(ifname, sizeof(ifname), "%s", iface);
    }
    if (net_if_info(ifname, &flags, &mtu, err) != 0) {
        close(fd);
        return TENDER_ARG_ERROR;
    }
    if ((flags & IFF_UP) == 0) {
        close(fd);
        tender_err_set(err, "Could not attach interface: %s: interface is "
                "down", iface);
        return TENDER_ARG_ERROR;
    }
    if (mtu <= 0 || mtu > UINT16_MAX) {
        close(fd);
        tender_err_set(err, "Could not attach interface: %s: unsupported "
                "MTU %d", iface, mtu);
        return TENDER_ARG_ERROR;
    }
    e->u.net_basic.mtu = (uint16_t)mtu;
    e->b.hostfd = fd;
    e->attached = true;
    return TENDER_ARG_HANDLED;
}

static int net_set_mac(struct tender *t, const char *name, const char *value,
        struct tender_err *err)
{
    unsigned m[6];
    struct mft_entry *e;
    char tail;
    int rc;

    rc = net_entry(t, name, &e, err);
    if (rc != TENDER_ARG_HANDLED)
        return rc;
    if (strlen(value) != 17 || sscanf(value, "%2x:%2x:%2x:%2x:%2x:%2x%c",
                &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &tail) != 6) {
        tender_err_set(err, "Malformed MAC address for '%s': '%s'", name,
                value);
        return TENDER_ARG_INVALID;
    }
    if (m[0] & 1) {
        tender_err_set(err, "MAC address for '%s' is multicast: '%s'", name,
                value);
        return TENDER_ARG_INVALID;
    }
    if ((m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0) {
        tender_err_set(err, "MAC address for '%s' is all zeros", name);
        return TENDER_ARG_INVALID;
    }
    for (int i = 0; i < 6; i++)
        e->u.net_basic.mac[i] = (uint8_t)m[i];
    return TENDER_ARG_HANDLED;
}

static int net_cmdarg(struct tender *t, const char *arg,
        struct tender_err *err)
{
    char buf[256];
    const char *name, *value;
    int rc;

    rc = tender_parse_device_arg(arg, MAC_OPT, buf, sizeof(buf), &name,
            &value, err);
    if (rc < 0)
        return TENDER_ARG_INVALID;
    if (rc > 0)
        return net_set_mac(t, name, value, err);
    rc = tender_parse_device_arg(arg, NET_OPT, buf, sizeof(buf), &name,
            &value, err);
    if (rc < 0)
        return TENDER_ARG_INVALID;
    if (rc > 0)
        return net_attach(t, name, value, err);
    return TENDER_ARG_UNKNOWN;
}

static bool mac_unset(const uint8_t *mac)
{
    for (int i = 0; i < 6; i++) {
        if (mac[i] != 0)
            return false;
    }
    return true;
}

static int net_setup(struct tender *t, struct tender_err *err)
{
    for (unsigned i = 1; i < t->mft->entries; i++) {
        struct mft_entry *e = &t->mft->e[i];
        uint8_t *mac = e->u.net_basic.mac;

        if (e->type != MFT_DEV_NET_BASIC || !e->attached || !mac_unset(mac))
            continue;
        if (getrandom(mac, 6, 0) != 6)
            return tender_err_set(err, "%s: cannot generate a MAC address: "
                    "%s", e->name, strerror(errno));
        mac[0] &= (uint8_t)~0x01; /* unicast */
        mac[0] |= 0x02;           /* locally administered */
    }
    return 0;
}

const struct tender_module tender_module_net = {
    .name = "net",
    .handle_cmdarg = net_cmdarg,
    .setup = net_setup,
    .usage =
        "    [ --net:NAME=IFACE | @NN ] (attach tap at IFACE or at fd @NN "
        "as network NAME)\n"
        "    [ --net-mac:NAME=HWADDR ] (set HWADDR for network NAME)\n",
};

enum tender_net_fault tender_net_fault(const struct mft_entry *e, bool write,
        int error, struct tender_err *err)
{
    const char *op = write ? "write" : "read";

    switch (error) {
    case EAGAIN:
    case ENOBUFS:
        return TENDER_NET_AGAIN;
    case EIO:
        return TENDER_NET_DOWN;
    case EBADFD:
    case ENODEV:
    case ENXIO:
        tender_err_set(err, "%s: the tap device was removed from the host "
                "(%s: %s)", e->name, op, strerror(error));
        return TENDER_NET_FATAL;
    default:
        tender_err_set(err, "%s: %s on the tap failed: %s", e->name, op,
                strerror(error));
        return TENDER_NET_FATAL;
    }
}
