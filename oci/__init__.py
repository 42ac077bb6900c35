"""solo5_oci: solo5-oci, the OCI runtime that runs Solo5 unikernels as containers."""
