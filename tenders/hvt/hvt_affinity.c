/*
 * hvt_affinity.c: keeps the I/O thread off the CPU the vCPU thread runs on.
 *
 * A guest that waits for frames spins in solo5_yield() (bindings/hvt/
 * hvt_ring.c, --busy-poll), and the I/O thread must run meanwhile: it is
 * what puts the frames into the RX rings.  The host scheduler often queued
 * it on the vCPU thread's CPU instead (the guest's kick wakes it from
 * there; it last ran there while the vCPU slept in POLL), behind the
 * spinning guest, which then held the CPU until its time slice ended:
 * measured with two CPUs, the threads were last seen on the same CPU in
 * 12-54 % of samples, and ping RTTs with --busy-poll=3000 reached 6 ms
 * (docs/performance.md, "Round 3").
 *
 * So the vCPU thread notes its CPU before each KVM_RUN (sched_getcpu():
 * glibc reads it from rseq, or the vDSO), and the I/O thread, before it
 * sleeps, narrows its own affinity to the tender's CPUs but that one
 * whenever it changed.  A guest spinning without exits is not migrated by
 * the host, which moves tasks when they wake.  Nothing is done where the
 * tender may use fewer than two CPUs.
 */
#include "hvt.h"

void hvt_affinity_init(struct hvt_affinity *a)
{
    a->excluded = -1;
    a->vcpu_cpu = -1;
    a->usable = sched_getaffinity(0, sizeof(a->allowed), &a->allowed) == 0 &&
        CPU_COUNT(&a->allowed) >= 2;
}

/* The vCPU thread, before KVM_RUN. */
void hvt_affinity_note_vcpu(struct hvt_affinity *a)
{
    if (a->usable)
        __atomic_store_n(&a->vcpu_cpu, sched_getcpu(), __ATOMIC_RELAXED);
}

/* The I/O thread, before it sleeps. */
void hvt_affinity_avoid_vcpu(struct hvt_affinity *a)
{
    int cpu = __atomic_load_n(&a->vcpu_cpu, __ATOMIC_RELAXED);
    cpu_set_t set;

    if (!a->usable || cpu < 0 || cpu == a->excluded ||
            !CPU_ISSET(cpu, &a->allowed))
        return;
    set = a->allowed;
    CPU_CLR(cpu, &set);
    /* Best effort: a cpuset changed under us refuses it, which costs
     * latency, not correctness. */
    (void)sched_setaffinity(0, sizeof(set), &set);
    a->excluded = cpu;
}
