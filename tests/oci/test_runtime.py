"""solo5-oci run directly, as an engine runs it (reaper.py stands for conmon):
the lifecycle, signals, statuses, isolation, resources, and what is left
behind (nothing)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from support.hugepages import hugepage_pool

from .helpers import (
    Container,
    Runtime,
    assert_nothing_left,
    base_config,
    created,
    guest,
    kvm_usable,
    make_bundle,
)

TENDERS = ["hvt", "spt"] if kvm_usable() else ["spt"]


def bundle_for(
    tmp_path: Path, runtime: Runtime, target: str, name: str, *args: str, **changes: object
) -> Path:
    inside = f"/{name}.{target}"
    config = base_config([inside, *args], **changes)
    return make_bundle(tmp_path / "bundle", {inside: guest(name, target)}, config)


def run_to_end(runtime: Runtime, bundle: Path) -> tuple[Container, int]:
    with created(runtime, bundle) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.state(container.id)["status"] == "created"
        start = runtime.run("start", container.id)
        assert start.status == 0, start.describe()
        status = container.exited()
        assert runtime.state(container.id)["status"] == "stopped"
        delete = runtime.run("delete", container.id)
        assert delete.status == 0, delete.describe()
        assert_nothing_left(runtime, container.id)
        return container, status


@pytest.mark.parametrize("target", TENDERS)
def test_lifecycle(target: str, runtime: Runtime, tmp_path: Path) -> None:
    bundle = bundle_for(tmp_path, runtime, target, "hello", "Hello_Solo5")
    container, status = run_to_end(runtime, bundle)
    assert status == 0, container.stdout + container.stderr
    assert "Hello, World\nCommand line is: 'Hello_Solo5'\nSUCCESS" in container.stdout


def test_guest_status(runtime: Runtime, tmp_path: Path) -> None:
    container, status = run_to_end(runtime, bundle_for(tmp_path, runtime, "spt", "exit", "42"))
    assert status == 42, container.stdout + container.stderr


def spinning(runtime: Runtime, tmp_path: Path, target: str) -> Path:
    return bundle_for(tmp_path, runtime, target, "spin", "yield")


KILLS = [("spt", "TERM", 143), ("spt", "INT", 130), ("spt", "KILL", 137)]
if "hvt" in TENDERS:
    KILLS += [("hvt", "TERM", 143), ("hvt", "KILL", 137)]


@pytest.mark.parametrize(("target", "sig", "status"), KILLS)
def test_kill(target: str, sig: str, status: int, runtime: Runtime, tmp_path: Path) -> None:
    """A terminating signal ends the unikernel; the status is the signal's."""
    with created(runtime, spinning(runtime, tmp_path, target)) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        container.wait_output("spinning")
        assert runtime.state(container.id)["status"] == "running"
        assert runtime.run("kill", container.id, sig).status == 0
        assert container.exited() == status, container.stdout + container.stderr
        if target == "hvt" and sig != "KILL":
            assert f"Exiting on signal {signal.Signals['SIG' + sig].value}" in container.stderr


def process_state(pid: int) -> str:
    return proc_status(pid)["State"].split()[0]


def test_kill_all(runtime: Runtime, tmp_path: Path) -> None:
    """kill --all signals every process of the container: SIGSTOP, which the
    init cannot forward, stops the tender too; then CONT, then KILL."""
    with created(runtime, spinning(runtime, tmp_path, "spt")) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        container.wait_output("spinning")
        pids = json.loads(runtime.run("ps", "--format", "json", container.id).stdout)
        assert len(pids) == 2, pids
        assert runtime.run("kill", "--all", container.id, "STOP").status == 0
        for pid in pids:
            deadline = time.monotonic() + 10
            while process_state(pid) != "T":
                assert time.monotonic() < deadline, f"{pid}: {process_state(pid)}"
                time.sleep(0.01)
        assert runtime.run("kill", "-a", container.id, "CONT").status == 0
        assert runtime.run("kill", "--all", container.id, "KILL").status == 0
        assert container.exited() == 137


def test_create_no_pivot(runtime: Runtime, tmp_path: Path) -> None:
    """--no-pivot (what engines pass on a ramdisk root) is accepted."""
    bundle = bundle_for(tmp_path, runtime, "spt", "hello", "Hello_Solo5")
    with created(runtime, bundle, "--no-pivot") as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        assert container.exited() == 0, container.stdout + container.stderr
        assert "SUCCESS" in container.stdout


def test_kill_before_start(runtime: Runtime, tmp_path: Path) -> None:
    with created(runtime, spinning(runtime, tmp_path, "spt")) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("kill", container.id, "15").status == 0
        assert container.exited() == 143
        assert "Solo5" not in container.stdout, "the unikernel never ran"
        result = runtime.run("start", container.id)
        assert result.status == 1 and "is stopped, not created" in result.stderr


def test_delete(runtime: Runtime, tmp_path: Path) -> None:
    """A running container is deleted only with --force; a created one always."""
    with created(runtime, spinning(runtime, tmp_path, "spt")) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        result = runtime.run("delete", container.id)
        assert result.status == 1 and "is running: stop it first" in result.stderr
        assert runtime.run("delete", "--force", container.id).status == 0
        assert container.exited() == 137
        assert_nothing_left(runtime, container.id)
    with created(runtime, spinning(runtime, tmp_path / "2", "spt")) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("delete", container.id).status == 0
        assert container.exited() == 137
        assert_nothing_left(runtime, container.id)


def test_systemd_cgroup(runtime: Runtime, tmp_path: Path) -> None:
    """--systemd-cgroup: SLICE:PREFIX:NAME, made directly in cgroupfs."""
    from .helpers import cgroup_dirs

    slice_name = f"solo5ocitest-{tmp_path.name[-8:].replace('_', '')}.slice"
    with created(
        runtime,
        spinning(runtime, tmp_path, "spt"),
        global_args=["--systemd-cgroup"],
        cgroups_path=f"{slice_name}:s5:{{id}}",
    ) as container:
        assert container.created_status() == 0, container.stderr
        scope = f"/solo5ocitest.slice/{slice_name}/s5-{container.id}.scope"
        assert cgroup_dirs(scope), "no cgroup made"
        pid = runtime.state(container.id)["pid"]
        assert f":memory:{scope}\n" in Path(f"/proc/{pid}/cgroup").read_text()
        assert runtime.run("delete", "--force", container.id).status == 0
    assert not cgroup_dirs("/solo5ocitest.slice"), "the slices made for it are left"


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def kvm_api_version(path: str) -> int | str:
    """KVM_GET_API_VERSION on `path`, or why it failed."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as error:
        return f"open: {error.strerror}"
    try:
        return fcntl.ioctl(fd, 0xAE00)
    except OSError as error:
        return f"ioctl: {error.strerror}"
    finally:
        os.close(fd)


@pytest.mark.parametrize("target", TENDERS)
def test_isolation(target: str, runtime: Runtime, tmp_path: Path) -> None:
    """The tender: no capabilities, no_new_privs, its own seccomp filter,
    the container's namespaces and cgroup; only /dev/kvm for hvt, on any
    cgroup version (in the tender's mount namespace, /dev/kvm of an spt
    container is /dev/null)."""
    with created(runtime, spinning(runtime, tmp_path, target)) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        container.wait_output("spinning")
        pids = json.loads(runtime.run("ps", "--format", "json", container.id).stdout)
        init = runtime.state(container.id)["pid"]
        assert len(pids) == 2 and init in pids, pids
        tender = next(p for p in pids if p != init)
        status = proc_status(tender)
        for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(status[caps], 16) == 0, (caps, status[caps])
        assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2"
        assert status["NSpid"].split()[1:] == ["2"], "the tender is pid 2 in its namespace"
        for ns in ("net", "pid", "ipc", "uts", "mnt", "cgroup"):
            assert os.readlink(f"/proc/{tender}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}")
        assert os.readlink(f"/proc/{tender}/exe").endswith(f"/solo5-{target}")
        cgroup = Path(f"/proc/{tender}/cgroup").read_text()
        assert f":memory:{runtime.cgroup(container.id)}\n" in cgroup, cgroup
        devices = Path(f"/sys/fs/cgroup/devices{runtime.cgroup(container.id)}/devices.list")
        rules = devices.read_text().split("\n")
        assert ("c 10:232 rwm" in rules) == (target == "hvt"), rules
        seen = kvm_api_version(f"/proc/{tender}/root/dev/kvm")
        if target == "hvt":
            assert seen == 12, f"/dev/kvm of an hvt container: {seen}"
        elif os.path.exists("/dev/kvm"):
            assert seen == "ioctl: Inappropriate ioctl for device", seen


# What an engine's profile could be at its most permissive: it allows every
# system call, dup explicitly.  Were it applied in place of the tender's
# filter, test_seccomp's dup(1) would return.
PERMISSIVE_SECCOMP = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["dup"], "action": "SCMP_ACT_ALLOW"}],
}


def test_engine_seccomp_keeps_the_tenders_filter(runtime: Runtime, tmp_path: Path) -> None:
    """linux.seccomp does not replace the tender's filter: the guest's
    forbidden system call still kills it (SIGSYS, 159)."""
    bundle = bundle_for(tmp_path, runtime, "spt", "seccomp", seccomp=PERMISSIVE_SECCOMP)
    container, status = run_to_end(runtime, bundle)
    assert status == 159, container.stdout + container.stderr
    assert "dup(1) returned" not in container.stdout, container.stdout


def seccomp_of_tender(runtime: Runtime, bundle: Path) -> tuple[str, str]:
    """(Seccomp, Seccomp_filters) of a spinning container's tender."""
    with created(runtime, bundle) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        container.wait_output("spinning")
        init = runtime.state(container.id)["pid"]
        pids = json.loads(runtime.run("ps", "--format", "json", container.id).stdout)
        status = proc_status(next(p for p in pids if p != init))
        return status["Seccomp"], status["Seccomp_filters"]


def test_engine_seccomp_adds_no_filter(runtime: Runtime, tmp_path: Path) -> None:
    """With or without linux.seccomp, the tender runs under its own filters
    alone (no engine filter stacked before them), and works."""
    plain = seccomp_of_tender(runtime, spinning(runtime, tmp_path / "plain", "spt"))
    bundle = bundle_for(
        tmp_path / "profile", runtime, "spt", "spin", "yield", seccomp=PERMISSIVE_SECCOMP
    )
    assert plain[0] == "2" and int(plain[1]) >= 1, plain
    assert seccomp_of_tender(runtime, bundle) == plain


def test_memory_limit(runtime: Runtime, tmp_path: Path) -> None:
    """64 MiB for the container: the guest gets 64 less the tender's share,
    which the tender accepts (it refuses a --mem too close to its limit)."""
    bundle = bundle_for(
        tmp_path,
        runtime,
        TENDERS[0],
        "hello",
        "Hello_Solo5",
        resources={"memory": {"limit": 64 << 20}},
    )
    container, status = run_to_end(runtime, bundle)
    assert status == 0
    from solo5_toolchain.abi import TENDER_OWN_MIB

    want = f"Memory map: {64 - TENDER_OWN_MIB} MB addressable"
    assert want in container.stdout, container.stdout


def test_rlimit_the_host_refuses(runtime: Runtime, tmp_path: Path) -> None:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if (
        hard == resource.RLIM_INFINITY
        or os.system("capsh --has-p=cap_sys_resource 2>/dev/null") == 0
    ):
        pytest.skip("this process may raise RLIMIT_NOFILE: nothing to refuse")
    bundle = bundle_for(tmp_path, runtime, "spt", "hello")
    config = json.loads((bundle / "config.json").read_text())
    config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": hard + 1, "hard": hard + 1}]
    (bundle / "config.json").write_text(json.dumps(config))
    with created(runtime, bundle) as container:
        assert container.created_status() == 1
        assert container.stderr == (
            f"solo5-oci: process.rlimits: RLIMIT_NOFILE soft {hard + 1} hard {hard + 1}: the "
            f"host does not allow raising its hard limit above {hard} (no CAP_SYS_RESOURCE); "
            "ask for less (podman: --ulimit, or default_ulimits in containers.conf)\n"
        )
        assert_nothing_left(runtime, container.id)


def test_tender_annotation(runtime: Runtime, tmp_path: Path) -> None:
    """org.solo5.tender=spt runs the spt build next to the hvt one."""
    files = {"/spin.hvt": guest("spin", "hvt"), "/spin.spt": guest("spin", "spt")}
    config = base_config(["/spin.hvt", "yield"], annotations={"org.solo5.tender": "spt"})
    with created(runtime, make_bundle(tmp_path / "b", files, config)) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        container.wait_output("spinning")
        pids = json.loads(runtime.run("ps", "--format", "json", container.id).stdout)
        exes = {os.readlink(f"/proc/{p}/exe").rsplit("/", 1)[1] for p in pids}
        assert exes == {"solo5-oci-init", "solo5-spt"}


def spin_files() -> dict[str, Path | bytes]:
    return {"/spin.hvt": guest("spin", "hvt"), "/spin.spt": guest("spin", "spt")}


def check_hvt_option(runtime: Runtime, where: Path, config: dict[str, Any], option: bytes) -> None:
    """The container (/spin.hvt) runs on solo5-hvt, with `option` in its argv."""
    with created(runtime, make_bundle(where, spin_files(), config)) as container:
        assert container.created_status() == 0, container.stderr
        init = runtime.state(container.id)["pid"]
        argv = Path(f"/proc/{init}/cmdline").read_bytes().split(b"\0")
        assert option in argv, argv
        assert runtime.run("start", container.id).status == 0
        container.wait_output("spinning")


def check_refused_on_spt(runtime: Runtime, where: Path, annotation: str, option: str) -> None:
    """/spin.spt with `annotation` (KEY=VALUE) fails at create, naming it."""
    key, value = annotation.split("=", 1)
    config = base_config(["/spin.spt", "yield"], annotations={key: value})
    with created(runtime, make_bundle(where, spin_files(), config)) as container:
        assert container.created_status() != 0
        message = f"annotation {annotation}: solo5-spt has no {option} (a solo5-hvt option)"
        assert message in container.stderr, container.stderr


def test_busy_poll_annotation(runtime: Runtime, tmp_path: Path) -> None:
    """org.solo5.busy-poll reaches solo5-hvt as --busy-poll; spt has none."""
    if "hvt" not in TENDERS:
        pytest.skip("/dev/kvm cannot run guests here: no solo5-hvt to pass it to")
    config = base_config(["/spin.hvt", "yield"], annotations={"org.solo5.busy-poll": "0"})
    check_hvt_option(runtime, tmp_path / "b", config, b"--busy-poll=0")
    check_refused_on_spt(runtime, tmp_path / "c", "org.solo5.busy-poll=0", "--busy-poll")


# A 48 MiB container: a 32 MiB guest (resources.py), 16 pages of the pool.
GUEST_HUGEPAGES_LIMIT = 48 << 20
GUEST_HUGEPAGES = 16


def test_hugepages_annotation(runtime: Runtime, tmp_path: Path) -> None:
    """org.solo5.hugepages=true reaches solo5-hvt as --hugepages, which then
    maps the guest from the hugetlb pool (grown here for it); spt has none."""
    if "hvt" not in TENDERS:
        pytest.skip("/dev/kvm cannot run guests here: no solo5-hvt to pass it to")
    with hugepage_pool(GUEST_HUGEPAGES) as grown:
        if not grown:
            pytest.skip("cannot grow the hugetlb pool (/proc/sys/vm/nr_hugepages) for the guest")
        limit = {"pids": {"limit": 64}, "memory": {"limit": GUEST_HUGEPAGES_LIMIT}}
        annotations = {"org.solo5.hugepages": "true"}
        config = base_config(["/spin.hvt", "yield"], annotations=annotations, resources=limit)
        check_hvt_option(runtime, tmp_path / "b", config, b"--hugepages")
    check_refused_on_spt(runtime, tmp_path / "c", "org.solo5.hugepages=true", "--hugepages")


def test_urunc_image(runtime: Runtime, tmp_path: Path) -> None:
    """An image made for urunc: the binary and command line from /urunc.json."""
    import base64

    values = {
        "com.urunc.unikernel.binary": "/unikernel/hello.hvt",
        "com.urunc.unikernel.cmdline": "Hello_Solo5",
        "com.urunc.unikernel.hypervisor": TENDERS[0],
        "com.urunc.unikernel.unikernelType": "mirage",
    }
    urunc = json.dumps({k: base64.b64encode(v.encode()).decode() for k, v in values.items()})
    files: dict[str, Path | bytes] = {
        "/unikernel/hello.hvt": guest("hello", TENDERS[0]),
        "/urunc.json": urunc.encode(),
    }
    config = base_config(
        ["/unikernel/hello.hvt"],
    )
    container, status = run_to_end(runtime, make_bundle(tmp_path / "b", files, config))
    assert status == 0 and "SUCCESS" in container.stdout, container.stdout


def test_sandbox_container(runtime: Runtime, tmp_path: Path) -> None:
    """Kubernetes' pause container: nothing runs, a signal ends it."""
    config = base_config(["/pause"], annotations={"io.kubernetes.cri.container-type": "sandbox"})
    with created(runtime, make_bundle(tmp_path / "b", {"/pause": b"not run"}, config)) as c:
        assert c.created_status() == 0, c.stderr
        assert runtime.run("start", c.id).status == 0
        assert runtime.state(c.id)["status"] == "running"
        assert runtime.run("kill", c.id, "TERM").status == 0
        assert c.exited() == 143


def test_pause_resume(runtime: Runtime, tmp_path: Path) -> None:
    with created(runtime, spinning(runtime, tmp_path, "spt")) as container:
        assert container.created_status() == 0, container.stderr
        assert runtime.run("start", container.id).status == 0
        assert runtime.run("pause", container.id).status == 0
        assert runtime.state(container.id)["status"] == "paused"
        assert runtime.run("resume", container.id).status == 0
        assert runtime.state(container.id)["status"] == "running"


def test_terminal(runtime: Runtime, tmp_path: Path) -> None:
    """process.terminal: the pty's master goes to --console-socket."""
    import socket

    bundle = bundle_for(tmp_path, runtime, "spt", "hello", "Hello_Solo5")
    config = json.loads((bundle / "config.json").read_text())
    config["process"]["terminal"] = True
    (bundle / "config.json").write_text(json.dumps(config))
    path = str(tmp_path / "console.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        with created(runtime, bundle, "--console-socket", path) as container:
            connection, _ = server.accept()
            _msg, fds, _flags, _addr = socket.recv_fds(connection, 64, 1)
            connection.close()
            assert container.created_status() == 0, container.stderr
            assert runtime.run("start", container.id).status == 0
            assert container.exited() == 0
            output = os.read(fds[0], 65536).decode(errors="replace")
            os.close(fds[0])
    assert "SUCCESS" in output and container.stdout == "", output


def test_list(runtime: Runtime, tmp_path: Path) -> None:
    with created(runtime, spinning(runtime, tmp_path, "spt")) as container:
        assert container.created_status() == 0
        listed = json.loads(runtime.run("list", "--format", "json").stdout)
        assert [(c["id"], c["status"]) for c in listed] == [(container.id, "created")]
        assert runtime.run("list", "-q").stdout == f"{container.id}\n"


def test_log_json(runtime: Runtime, tmp_path: Path) -> None:
    """containerd's shim reads the reason of a failure from --log."""
    log = tmp_path / "log.json"
    result = runtime.run("--log", str(log), "--log-format", "json", "start", "nosuch")
    assert result.status == 1
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["level"], e["msg"]) for e in entries] == [
        ("error", "solo5-oci: container 'nosuch' does not exist")
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", entries[0]["time"])
