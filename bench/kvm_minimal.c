/*
 * kvm_minimal: the smallest complete KVM VM lifecycle, the cold-start
 * baseline for solo5-hvt.
 *
 *   kvm_minimal real   flat real mode, RIP=0x1000, guest runs HLT
 *   kvm_minimal long   64-bit long mode set up exactly as hvt does (GDT, page
 *                      tables, CR0/CR4/EFER, CPUID from KVM_GET_SUPPORTED_CPUID),
 *                      RIP=0x100000, guest runs HLT
 *
 * Optional second argument: guest memory in MiB (default 4, as in upstream's
 * `--mem=4` cold-start measurement). Exit status 0 when the guest halted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_kvm.h"

static int minimal_fail(struct bench_vm *v, const char *step, int err)
{
    fprintf(stderr, "kvm_minimal: %s: %s\n", step, strerror(-err));
    bench_close(v);
    return 1;
}

int main(int argc, char **argv)
{
    struct bench_vm v;
    int is_long;
    size_t mib = 4;
    int rc;

    if (argc < 2 || argc > 3 ||
        (strcmp(argv[1], "real") != 0 && strcmp(argv[1], "long") != 0)) {
        fprintf(stderr, "usage: kvm_minimal real|long [MEM_MIB]\n");
        return 2;
    }
    is_long = strcmp(argv[1], "long") == 0;
    if (argc == 3) {
        char *end;
        mib = strtoul(argv[2], &end, 10);
        if (*end != '\0' || mib < 2 || mib > 4096) {
            fprintf(stderr, "kvm_minimal: MEM_MIB must be 2..4096\n");
            return 2;
        }
    }

    bench_init(&v);
    if ((rc = bench_open(&v)) < 0)
        return minimal_fail(&v, "open /dev/kvm + KVM_CREATE_VM", rc);
    if ((rc = bench_add_memory(&v, mib << 20, MAP_SHARED, -1)) < 0)
        return minimal_fail(&v, "guest memory", rc);
    if ((rc = bench_create_vcpu(&v)) < 0)
        return minimal_fail(&v, "KVM_CREATE_VCPU", rc);
    if (is_long) {
        bench_write_pagetables(&v);
        v.mem[BENCH_ENTRY] = 0xf4;                      /* hlt */
        if ((rc = bench_set_cpuid(&v)) < 0)
            return minimal_fail(&v, "KVM_SET_CPUID2", rc);
        rc = bench_setup_long(&v, BENCH_ENTRY, BENCH_HVT_CR0, BENCH_HVT_CR4, 0);
    } else {
        v.mem[0x1000] = 0xf4;                           /* hlt */
        rc = bench_setup_real(&v, 0x1000);
    }
    if (rc < 0)
        return minimal_fail(&v, "vCPU registers", rc);

    rc = bench_run(&v);
    if (rc < 0)
        return minimal_fail(&v, "KVM_RUN", rc);
    if (rc != KVM_EXIT_HLT) {
        fprintf(stderr, "kvm_minimal: unexpected exit %d (%s)\n", rc,
                bench_exit_name((uint32_t)rc));
        bench_close(&v);
        return 1;
    }
    bench_close(&v);
    return 0;
}
