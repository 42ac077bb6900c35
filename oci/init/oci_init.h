/*
 * oci_init.h: solo5-oci-init, the container's first process.
 *
 * solo5-oci (Python) prepares everything at `create` (namespaces, cgroup,
 * taps, the tender's command line) and execs this small program as the
 * container's init, so that nothing but it and the tender stays resident:
 *
 *   1. tell solo5-oci it is ready (--sync-fd), then wait on the exec FIFO
 *      until `solo5-oci start` opens it (--exec-fifo);
 *   2. drop every capability and take the container's user (--user);
 *   3. fork and exec the tender, forward every signal to it, and end with
 *      its status (oci_init_status()).
 *
 * With --pause there is no tender: it waits for a terminating signal
 * (Kubernetes' pod sandbox container).
 */
#ifndef OCI_INIT_H
#define OCI_INIT_H

#include <stdbool.h>
#include <sys/types.h>

#define OCI_INIT_MAX_GROUPS 64

struct oci_init_user {
    bool set;
    uid_t uid;
    gid_t gid;
    size_t ngroups;
    gid_t groups[OCI_INIT_MAX_GROUPS];
};

/* oci_init_privileges.c */
int oci_init_drop_privileges(const struct oci_init_user *user);

/* oci_init_supervise.c */
bool oci_init_terminates(int sig);
int oci_init_status(int wait_status, int forwarded);
int oci_init_supervise(pid_t child);
pid_t oci_init_spawn(char **argv);

#endif
