"""`solo5-oci features`: what this runtime supports (runtime-spec features.md)."""

from __future__ import annotations

import json
from typing import TextIO

from solo5_oci.annotations import BLOCK, BUSY_POLL, HUGEPAGES, NET, NET_ARGS, TENDER


def features() -> dict[str, object]:
    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.0.2",
        "hooks": [],
        "mountOptions": [],
        "linux": {
            "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "uts"],
            "capabilities": [],
            "cgroup": {"v1": True, "v2": True, "systemd": False, "systemdUser": False},
            "seccomp": {"enabled": False},
            "apparmor": {"enabled": False},
            "selinux": {"enabled": False},
        },
        "annotations": {
            "org.solo5.oci.annotations": " ".join(
                (TENDER, NET + "DEVICE", BLOCK + "DEVICE", NET_ARGS, BUSY_POLL, HUGEPAGES)
            ),
            "org.solo5.oci.tender-seccomp": "the tender's own filter (not the engine's)",
        },
    }


def print_features(out: TextIO) -> None:
    json.dump(features(), out, indent=2)
    out.write("\n")
