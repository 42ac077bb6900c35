/*
 * oci_init_privileges.c: nothing privileged survives into the tender.
 *
 * The tender needs no capability: solo5-oci hands it its taps and block
 * files as open descriptors, and /dev/kvm is opened by file permissions.
 * So every capability goes (bounding, ambient, permitted, effective,
 * inheritable: an exec as root gains nothing back), the container's user
 * and groups are taken, and no_new_privs is set.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci_init.h"

static int fail(const char *what)
{
    fprintf(stderr, "solo5-oci-init: %s: %s\n", what, strerror(errno));
    return -1;
}

/* Empty the bounding set (needs CAP_SETPCAP: before the user changes). */
static int drop_bounding_set(void)
{
    for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            return fail("PR_CAPBSET_DROP");
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return fail("PR_CAP_AMBIENT_CLEAR_ALL");
    return 0;
}

static int take_user(const struct oci_init_user *user)
{
    if (!user->set)
        return 0;
    if (setgroups(user->ngroups, user->groups) != 0)
        return fail("setgroups");
    if (setresgid(user->gid, user->gid, user->gid) != 0)
        return fail("setresgid");
    if (setresuid(user->uid, user->uid, user->uid) != 0)
        return fail("setresuid");
    return 0;
}

static int clear_capabilities(void)
{
    struct __user_cap_header_struct header = {
        .version = _LINUX_CAPABILITY_VERSION_3,
        .pid = 0,
    };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &header, data) != 0)
        return fail("capset");
    return 0;
}

int oci_init_drop_privileges(const struct oci_init_user *user)
{
    if (drop_bounding_set() != 0 || take_user(user) != 0 || clear_capabilities() != 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail("PR_SET_NO_NEW_PRIVS");
    return 0;
}
