"""podman runs unikernels with `--runtime=PATH/solo5-oci`: output, statuses,
detached containers stopped, logs, removal, block devices through -v, bad
inputs, 100 containers at once; nothing left behind."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from devices.helpers import expected_test_blk
from support.hugepages import hugepage_pool, hugepages_free

from .engines import Podman, unique
from .helpers import cgroup_dirs, guest, kvm_usable

TENDERS = ["hvt", "spt"] if kvm_usable() else ["spt"]
STATE_ROOT = Path("/run/solo5-oci")


def detached(podman: Podman, image: str, prefix: str, *command: str) -> tuple[str, str]:
    """`podman run -d --name NAME` of `command`: (name, container ID)."""
    name = unique(prefix)
    started = podman(*podman.run_args("-d", "--name", name, "--network=none"), image, *command)
    assert started.status == 0, started.describe()
    return name, started.stdout.strip()


def assert_gone(podman: Podman, container_id: str) -> None:
    """No state directory, no cgroup left by solo5-oci for the container."""
    assert not (STATE_ROOT / container_id).exists()
    assert not cgroup_dirs(f"{podman.cgroup_parent}/libpod-{container_id}")


def test_two_line_containerfile(podman: Podman, tmp_path: Path) -> None:
    """The documented way: FROM scratch, COPY the unikernel; the image holds
    the unikernel and nothing else."""
    target = TENDERS[0]
    shutil_copy = guest("hello", target).read_bytes()
    (tmp_path / f"hello.{target}").write_bytes(shutil_copy)
    (tmp_path / "Containerfile").write_text(f"FROM scratch\nCOPY hello.{target} /\n")
    tag = f"localhost/{unique('solo5-oci-two-lines')}"
    built = podman("build", "--quiet", "--tag", tag, str(tmp_path))
    assert built.status == 0, built.describe()
    try:
        result = podman(
            *podman.run_args("--rm", "--network=none"), tag, f"/hello.{target}", "Hello_Solo5"
        )
        assert result.status == 0, result.describe()
        assert "Hello, World\nCommand line is: 'Hello_Solo5'\nSUCCESS\n" in result.stdout
        mounted = podman("image", "save", "--format", "oci-dir", "-o", str(tmp_path / "o"), tag)
        assert mounted.status == 0, mounted.describe()
        index = json.loads((tmp_path / "o" / "index.json").read_text())
        manifest = json.loads(
            (
                tmp_path / "o" / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
            ).read_text()
        )
        assert len(manifest["layers"]) == 1
        assert manifest["layers"][0]["size"] < len(shutil_copy)  # compressed: nothing else
    finally:
        podman("rmi", "--force", tag)


def test_annotations_file_in_a_containerfile(podman: Podman, tmp_path: Path) -> None:
    """One more COPY line puts the image's own annotations in
    /.solo5/annotations.json (no tool, no manifest annotation): here
    org.solo5.net-args alone gives hello its command line."""
    target = TENDERS[0]
    (tmp_path / f"hello.{target}").write_bytes(guest("hello", target).read_bytes())
    (tmp_path / "solo5-annotations.json").write_text('{"org.solo5.net-args": "Hello_Solo5"}')
    (tmp_path / "Containerfile").write_text(
        f"FROM scratch\nCOPY hello.{target} /\n"
        "COPY solo5-annotations.json /.solo5/annotations.json\n"
    )
    tag = f"localhost/{unique('solo5-oci-annotated')}"
    built = podman("build", "--quiet", "--tag", tag, str(tmp_path))
    assert built.status == 0, built.describe()
    try:
        result = podman(*podman.run_args("--rm", "--network=none"), tag, f"/hello.{target}")
        assert result.status == 0, result.describe()
        assert "Command line is: 'Hello_Solo5'\nSUCCESS\n" in result.stdout, result.describe()
    finally:
        podman("rmi", "--force", tag)


@pytest.mark.parametrize("target", TENDERS)
def test_run(target: str, podman: Podman, podman_image: str) -> None:
    result = podman(
        *podman.run_args("--rm", "--network=none"), podman_image, f"/hello.{target}", "Hello_Solo5"
    )
    assert result.status == 0, result.describe()
    assert "**** Solo5 standalone test_hello ****" in result.stdout
    assert "SUCCESS" in result.stdout and result.stderr == "", result.describe()


def test_hugepages_annotation(podman: Podman, podman_image: str) -> None:
    """podman run --memory=48m --annotation org.solo5.hugepages=true: the
    32 MiB guest comes from the hugetlb pool, grown here by its 16 pages;
    one page fewer and the container fails with solo5-hvt's one line."""
    if "hvt" not in TENDERS:
        pytest.skip("/dev/kvm cannot run guests here: no solo5-hvt to pass it to")
    args = ("--rm", "--network=none", "--memory=48m", "--annotation", "org.solo5.hugepages=true")
    with hugepage_pool(16) as grown:
        if not grown:
            pytest.skip("cannot grow the hugetlb pool (/proc/sys/vm/nr_hugepages) for the guest")
        result = podman(*podman.run_args(*args), podman_image, "/hello.hvt", "Hello_Solo5")
        assert result.status == 0, result.describe()
        assert "SUCCESS" in result.stdout and result.stderr == "", result.describe()
    with hugepage_pool(15) as grown:
        if not grown:
            pytest.skip("cannot grow the hugetlb pool (/proc/sys/vm/nr_hugepages) for the guest")
        if hugepages_free() >= 16:
            pytest.skip("the host's own pool has room for the guest: no shortage to show")
        result = podman(*podman.run_args(*args), podman_image, "/hello.hvt", "Hello_Solo5")
        assert result.status != 0, result.describe()
        assert "--hugepages: could not map 33554432 bytes" in result.stderr, result.describe()


def test_busy_poll_annotation(podman: Podman, podman_image: str) -> None:
    """podman run --annotation org.solo5.busy-poll=N: solo5-hvt runs with it
    (tests/oci/test_runtime.py checks the tender's command line)."""
    if "hvt" not in TENDERS:
        pytest.skip("/dev/kvm cannot run guests here: no solo5-hvt to pass it to")
    result = podman(
        *podman.run_args("--rm", "--network=none", "--annotation", "org.solo5.busy-poll=0"),
        podman_image,
        "/hello.hvt",
        "Hello_Solo5",
    )
    assert result.status == 0, result.describe()
    assert "SUCCESS" in result.stdout and result.stderr == "", result.describe()


def test_image_command(podman: Podman, podman_image: str) -> None:
    """Without a command, the image's CMD runs; with --init too (solo5-oci's
    init stands for podman's)."""
    for options in ((), ("--init",)):
        result = podman(*podman.run_args("--rm", "--network=none", *options), podman_image)
        assert result.status == 0 and "SUCCESS" in result.stdout, result.describe()


@pytest.mark.parametrize("target", TENDERS)
def test_guest_status(target: str, podman: Podman, podman_image: str) -> None:
    """The unikernel's exit status is the container's: podman run and podman wait."""
    result = podman(
        *podman.run_args("--rm", "--network=none"), podman_image, f"/exit.{target}", "42"
    )
    assert result.status == 42, result.describe()
    name, container_id = detached(podman, podman_image, "solo5-oci-exit", f"/exit.{target}", "7")
    waited = podman("wait", name)
    assert waited.stdout.strip() == "7", waited.describe()
    assert podman("rm", name).status == 0
    assert_gone(podman, container_id)


@pytest.mark.parametrize("target", TENDERS)
def test_detached_stop_logs_rm(target: str, podman: Podman, podman_image: str) -> None:
    """podman run -d, logs, stop (SIGTERM ends the unikernel: status 143), rm."""
    name, container_id = detached(
        podman, podman_image, "solo5-oci-spin", f"/spin.{target}", "yield"
    )
    try:
        for _ in range(600):
            logs = podman("logs", name)
            if "spinning" in logs.stdout:
                break
        assert "**** Solo5 standalone test_spin ****" in logs.stdout, logs.describe()
        assert (STATE_ROOT / container_id).is_dir()
        stopped = podman("stop", "--time", "60", name)
        assert stopped.status == 0, stopped.describe()
        inspect = podman("inspect", "--format", "{{.State.ExitCode}} {{.State.Status}}", name)
        assert inspect.stdout.split() == ["143", "exited"], inspect.describe()
        if target == "hvt":
            assert "Exiting on signal 15" in podman("logs", name).stderr
    finally:
        removed = podman("rm", "--force", name)
    assert removed.status == 0, removed.describe()
    assert podman("ps", "--all", "--quiet", "--filter", f"name={name}").stdout == ""
    assert_gone(podman, container_id)


def test_pause_unpause(podman: Podman, podman_image: str) -> None:
    name, _id = detached(podman, podman_image, "solo5-oci-pause", "/spin.spt", "yield")
    try:
        assert podman("pause", name).status == 0
        status = podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
        assert status == "paused"
        assert podman("unpause", name).status == 0
        assert podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "running"
        top = podman("top", name, "pid", "args")
        assert top.status == 0, top.describe()
        assert [line.split()[0] for line in top.stdout.splitlines()[1:]] == ["1", "2"], top.stdout
    finally:
        podman("rm", "--force", "--time", "0", name)


@pytest.mark.parametrize("target", TENDERS)
def test_block_volume(target: str, podman: Podman, podman_image: str, tmp_path: Path) -> None:
    """A disk image given with -v is the unikernel's block device: what the
    guest wrote is in the file afterwards."""
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as stream:
        stream.truncate(1 << 20)
    result = podman(
        *podman.run_args("--rm", "--network=none", "-v", f"{disk}:/solo5/block/storage"),
        podman_image,
        f"/blk.{target}",
    )
    assert result.status == 0 and "SUCCESS" in result.stdout, result.describe()
    m = re.search(r"(\d+) blocks at the end", result.stdout)
    assert m, result.stdout
    data = disk.read_bytes()
    for block, want in enumerate(expected_test_blk(len(data) // 512, 512, int(m.group(1)))):
        assert data[block * 512 : (block + 1) * 512] == want, f"block {block}"


BAD = [
    (["/nosuch.hvt"], [], "/nosuch.hvt: no such file in the rootfs"),
    (
        ["/hello.hvt"],
        ["--annotation", "org.solo5.tender=qemu"],
        "annotation org.solo5.tender=qemu: not a Solo5 tender solo5-oci runs",
    ),
    (
        ["/net.spt"],
        [],
        "NET_BASIC device 'service0': no interface eth0 in the container's "
        "network namespace (it has: lo)",
    ),
    (["/blk.spt"], [], "BLOCK_BASIC device 'storage': no file /solo5/block/storage in the rootfs"),
    (
        ["/hello.spt"],
        ["--annotation", "org.solo5.busy-poll=0"],
        "annotation org.solo5.busy-poll=0: solo5-spt has no --busy-poll (a solo5-hvt option)",
    ),
    (
        ["/hello.spt"],
        ["--annotation", "org.solo5.hugepages=true"],
        "annotation org.solo5.hugepages=true: solo5-spt has no --hugepages (a solo5-hvt option)",
    ),
    (["/notes.txt"], [], "/notes.txt: not an ELF file (not a Solo5 unikernel)"),
    (
        ["/linux.elf"],
        [],
        "/linux.elf: invalid executable: not an executable (ET_DYN) (not a Solo5 unikernel)",
    ),
]


@pytest.mark.parametrize(("command", "options", "message"), BAD)
def test_bad_inputs(
    command: list[str], options: list[str], message: str, podman: Podman, podman_image: str
) -> None:
    """The reason reaches podman's error output as one line from solo5-oci."""
    name = unique("solo5-oci-bad")
    result = podman(
        *podman.run_args("--name", name, "--network=none", *options), podman_image, *command
    )
    assert result.status != 0, result.describe()
    lines = [line for line in result.stderr.splitlines() if "solo5-oci: " in line]
    assert len(lines) == 1 and message in lines[0], result.describe()
    container_id = podman("inspect", "--format", "{{.Id}}", name).stdout.strip()
    assert podman("rm", "--force", name).status == 0
    assert container_id and not (STATE_ROOT / container_id).exists()
    assert_gone(podman, container_id)


def test_a_hundred_at_once(podman: Podman, podman_image: str) -> None:
    """100 containers started concurrently through podman all succeed, and
    leave nothing behind."""

    def one(index: int) -> tuple[int, str]:
        target = TENDERS[index % len(TENDERS)]
        result = podman(
            *podman.run_args("--rm", "--network=none"),
            podman_image,
            f"/hello.{target}",
            "Hello_Solo5",
            timeout=600,
        )
        return result.status, result.stdout + result.stderr

    before = set(STATE_ROOT.iterdir()) if STATE_ROOT.exists() else set()
    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(one, range(100)))
    failed = [
        (i, status, out)
        for i, (status, out) in enumerate(results)
        if status != 0 or "SUCCESS" not in out
    ]
    assert not failed, f"{len(failed)} failed; first: {failed[0]}"
    after = set(STATE_ROOT.iterdir()) if STATE_ROOT.exists() else set()
    assert after <= before, f"state left: {sorted(after - before)[:3]}"
    parents = cgroup_dirs(podman.cgroup_parent)
    left = [p for d in parents for p in d.iterdir() if p.is_dir() and p.name != "conmon"]
    assert not left, f"cgroups left: {left[:3]}"
