"""What every command gets: the global options and the installed prefix."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from solo5_oci.log import Log
from solo5_oci.state import DEFAULT_ROOT

INIT = os.path.join("libexec", "solo5", "solo5-oci-init")


@dataclass(frozen=True)
class Context:
    prefix: str  # the Solo5 prefix solo5-oci is installed in
    root: str = DEFAULT_ROOT  # --root: where container states live
    log: Log = field(default_factory=Log)
    systemd_cgroup: bool = False

    @property
    def bin_dir(self) -> str:
        return os.path.join(self.prefix, "bin")

    @property
    def init(self) -> str:
        return os.path.join(self.prefix, INIT)
