/*
 * hvt_helper.c: helper threads for the start's background work
 * (KVM_GET_SUPPORTED_CPUID, the memory slots, faulting in the image's huge
 * pages), each started on another CPU than the thread that starts it.
 *
 * Linux queues a new thread on its creator's CPU, and an idle CPU does not
 * take it from there at once: traced on the project machine, the CPUID
 * helper often waited ~0.5 ms, with the other CPU idle, until the main
 * thread blocked to join it, and so ran in series with everything it was
 * meant to overlap (docs/performance.md, "Round 8").  So the helper is
 * created with an affinity that excludes the creator's CPU, which places
 * it elsewhere, and its first act is to take back the full set, so that
 * it can still run anywhere if that CPU becomes busy.  With fewer than two
 * CPUs the thread is created as any other.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "hvt.h"

struct hvt_helper {
    void *(*fn)(void *);
    void *arg;
    cpu_set_t allowed;
    bool narrowed;
};

static void *hvt_helper_run(void *arg)
{
    struct hvt_helper start = *(struct hvt_helper *)arg;

    free(arg);
    if (start.narrowed)
        (void)sched_setaffinity(0, sizeof(start.allowed), &start.allowed);
    return start.fn(start.arg);
}

/* Starts on another CPU than this thread's, where there is one. */
static void hvt_helper_place(pthread_attr_t *attr, struct hvt_helper *h)
{
    cpu_set_t elsewhere;
    int cpu = sched_getcpu();

    if (sched_getaffinity(0, sizeof(h->allowed), &h->allowed) != 0 ||
            CPU_COUNT(&h->allowed) < 2 || cpu < 0 ||
            !CPU_ISSET(cpu, &h->allowed))
        return;
    elsewhere = h->allowed;
    CPU_CLR(cpu, &elsewhere);
    h->narrowed = pthread_attr_setaffinity_np(attr, sizeof(elsewhere),
            &elsewhere) == 0;
}

int hvt_helper_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    struct hvt_helper *h = calloc(1, sizeof(*h));
    pthread_attr_t attr;
    int rc;

    if (h == NULL)
        return -1;
    *h = (struct hvt_helper){ .fn = fn, .arg = arg };
    if (pthread_attr_init(&attr) != 0) {
        free(h);
        return -1;
    }
    /* A few system calls each: a small stack is plenty. */
    pthread_attr_setstacksize(&attr, 64 * 1024);
    hvt_helper_place(&attr, h);
    rc = pthread_create(thread, &attr, hvt_helper_run, h);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        free(h);
    return rc == 0 ? 0 : -1;
}
