"""What every command gets: the global options and the installed prefix.

The modules every command imports (this one, log, state, cgroups, cli) use
plain classes, not dataclasses, and import nothing heavy at start: a
container operation is one short process (`dataclasses` alone costs about
as much as Python's own start).
"""

from __future__ import annotations

import os

from solo5_oci.log import Log
from solo5_oci.state import DEFAULT_ROOT

INIT = os.path.join("libexec", "solo5", "solo5-oci-init")


class Context:
    __slots__ = ("log", "prefix", "root", "systemd_cgroup")

    def __init__(
        self,
        prefix: str,
        root: str = DEFAULT_ROOT,
        log: Log | None = None,
        systemd_cgroup: bool = False,
    ) -> None:
        self.prefix = prefix  # the Solo5 prefix solo5-oci is installed in
        self.root = root  # --root: where container states live
        self.log = log or Log()
        self.systemd_cgroup = systemd_cgroup

    @property
    def bin_dir(self) -> str:
        return os.path.join(self.prefix, "bin")

    @property
    def init(self) -> str:
        return os.path.join(self.prefix, INIT)
