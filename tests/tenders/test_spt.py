"""solo5-spt as a user sees it: options, messages, exit statuses, the sandbox.

The guests are tiny hand-assembled unikernels from tests/support/elfgen.py,
so these tests need neither the bindings nor the test unikernels.
"""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support import elfgen
from support.elfgen import CODE, mft_field, mft_u16

from solo5_toolchain import abi
from solo5_toolchain.version import VERSION_DESCRIPTION

WriteElf = Callable[[str, bytes], Path]
BLOCK = [("storage", "BLOCK_BASIC")]
BLOCK_NET = [("storage", "BLOCK_BASIC"), ("service0", "NET_BASIC")]
OFF = abi.MFT_ENTRY_OFFSETS


def run(spt: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Runs solo5-spt; a death by signal N gets the shell's status, 128 + N."""
    r = subprocess.run(
        [str(spt), *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )
    if r.returncode < 0:
        r.returncode = 128 - r.returncode
    return r


def one_error(r: subprocess.CompletedProcess[str], message: str) -> None:
    """Status 1, nothing on stdout, one stderr line naming the problem."""
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("solo5-spt: ")
    assert message in lines[0], lines[0]


@pytest.fixture
def hello(write_elf: WriteElf) -> Path:
    return write_elf("exit7.spt", elfgen.guest())


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    path = tmp_path / "storage.img"
    path.write_bytes(b"\0" * (4 << 20))
    return path


# --- --help, --version, option errors ---


def test_help(spt: Path) -> None:
    r = run(spt, "--help")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "usage: solo5-spt [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]"
    )
    assert "    [ --mem=512 ] (guest memory in MB)" in lines
    assert "Compiled-in modules: core block net" in lines
    for opt in (
        "--x-exec-heap",
        "--block:NAME=PATH",
        "--block-sector-size:NAME=N",
        "--net:NAME=IFACE",
        "--net-mac:NAME=HWADDR",
    ):
        assert opt in r.stdout


def test_version(spt: Path) -> None:
    r = run(spt, "--version")
    want = f"solo5-spt tender, version {VERSION_DESCRIPTION}\nABI version 2\n"
    assert (r.returncode, r.stdout) == (0, want)


@pytest.mark.parametrize("args", [[], ["--mem=4"], ["--"], ["--mem=4", "--"]])
def test_missing_kernel(spt: Path, args: list[str]) -> None:
    r = run(spt, *args)
    assert r.returncode == 1
    assert r.stderr.startswith("solo5-spt: Missing KERNEL operand\nusage: solo5-spt ")


def test_invalid_option(spt: Path, hello: Path) -> None:
    r = run(spt, "--bogus", hello)
    assert r.returncode == 1
    assert r.stderr.startswith("solo5-spt: Invalid option: `--bogus'\nusage: ")


def test_option_after_mem_is_not_swallowed(spt: Path, hello: Path) -> None:
    """Upstream also offered the argument after --mem= to the modules."""
    r = run(spt, "--mem=4", "--bogus", hello)
    assert "Invalid option: `--bogus'" in r.stderr
    assert run(spt, "--mem=4", "--x-exec-heap", hello).returncode == 7


@pytest.mark.parametrize("value", ["0", "", "abc", "4M", "-4", "99999999999999999999"])
def test_malformed_mem(spt: Path, hello: Path, value: str) -> None:
    one_error(run(spt, f"--mem={value}", hello), "Malformed argument to --mem")


def test_mem_larger_than_the_address_space_below_the_tender(spt: Path, hello: Path) -> None:
    one_error(run(spt, f"--mem={1 << 40}", hello), "Maximum guest memory size")


def test_mem_too_small_for_the_kernel(spt: Path, hello: Path) -> None:
    one_error(
        run(spt, "--mem=1", hello),
        "invalid executable: e_entry 0x100000 does not fall within the memory allocation range",
    )


def test_kernel_missing(spt: Path, tmp_path: Path) -> None:
    path = tmp_path / "nope.spt"
    one_error(run(spt, path), f"{path}: Could not open: No such file or directory")


def test_kernel_is_a_directory(spt: Path, tmp_path: Path) -> None:
    one_error(run(spt, tmp_path), f"{tmp_path}: invalid executable: not a regular file")


def test_kernel_is_a_fifo(spt: Path, tmp_path: Path) -> None:
    """Opened without blocking (no writer would ever come), then refused."""
    fifo = tmp_path / "kernel.spt"
    os.mkfifo(fifo)
    one_error(run(spt, fifo), f"{fifo}: invalid executable: not a regular file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_kernel_unreadable(spt: Path, hello: Path) -> None:
    hello.chmod(0)
    one_error(run(spt, hello), f"{hello}: Could not open: Permission denied")


def test_not_an_elf(spt: Path, write_elf: WriteElf) -> None:
    path = write_elf("x.spt", b"hello\n")
    one_error(run(spt, path), f"{path}: invalid executable: not an ELF file")


def test_host_executable(spt: Path) -> None:
    true = shutil.which("true")
    assert true is not None
    one_error(run(spt, true), "invalid executable: not a static executable")


def test_unikernel_for_another_target(spt: Path, write_elf: WriteElf) -> None:
    data = elfgen.Elf(elfgen.guest_segments(CODE["exit7"], abi=elfgen.abi_note(target=1)))
    path = write_elf("x.hvt", data.build())
    one_error(run(spt, path), f"{path}: Executable is not for the solo5-spt target")


def test_command_line_too_long(spt: Path, hello: Path) -> None:
    one_error(run(spt, hello, "x" * 8192), "Guest command line too long (max=8191 characters)")
    assert run(spt, "--mem=4", hello, "x" * 8191).returncode == 7


# --- running guests ---


def test_exit_status_comes_from_the_guest(spt: Path, hello: Path) -> None:
    r = run(spt, "--mem=4", hello)
    assert (r.returncode, r.stdout, r.stderr) == (7, "", "")


def test_options_after_kernel_go_to_the_guest(spt: Path, write_elf: WriteElf) -> None:
    path = write_elf("c.spt", elfgen.guest(CODE["cmdline"]))
    r = run(spt, "--mem=4", path, "--mem=8", "a b", "", "c")
    assert (r.returncode, r.stdout) == (0, "--mem=8 a b  c")
    r = run(spt, "--mem=4", "--", path)
    assert (r.returncode, r.stdout) == (0, "")


@pytest.mark.parametrize(("args", "status"), [(["--mem=4"], 4), (["--mem=300"], 44), ([], None)])
def test_mem_is_exact_mib(
    spt: Path, write_elf: WriteElf, args: list[str], status: int | None
) -> None:
    if status is None:  # default 512 MiB: mem_size >> 22 == 128
        path = write_elf("m.spt", elfgen.guest(CODE["mem_4mib"]))
        assert run(spt, path).returncode == 128
    else:
        path = write_elf("m.spt", elfgen.guest(CODE["mem_mib"]))
        assert run(spt, *args, path).returncode == status


def test_stack_starts_at_mem_size_minus_8(spt: Path, write_elf: WriteElf) -> None:
    path = write_elf("s.spt", elfgen.guest(CODE["stack"]))
    assert run(spt, "--mem=4", path).returncode == 0
    assert run(spt, "--mem=6", path).returncode == 0


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("epoll", 0),
        ("clock", 0),
        ("dup", 159),
        ("epoll_other_fd", 159),
        ("clock_boottime", 159),
        ("write_text", 139),
        ("zeropage", 139),
        ("write_boot_info", 139),
        ("exec_heap", 139),
    ],
)
def test_sandbox(spt: Path, write_elf: WriteElf, code: str, status: int) -> None:
    """Allowed calls work; others are killed (SIGSYS, 159); W^X holds (SIGSEGV, 139)."""
    path = write_elf(f"{code}.spt", elfgen.guest(CODE[code]))
    r = run(spt, "--mem=4", path)
    assert r.returncode == status, r.stderr
    assert r.stderr == ""


def test_x_exec_heap(spt: Path, write_elf: WriteElf) -> None:
    path = write_elf("x.spt", elfgen.guest(CODE["exec_heap"]))
    r = run(spt, "--mem=4", "--x-exec-heap", path)
    assert r.returncode == 42
    assert r.stderr.startswith("solo5-spt: WARNING: --x-exec-heap")


def test_manifest_copy_in_guest_memory(spt: Path, write_elf: WriteElf, storage: Path) -> None:
    path = write_elf("m.spt", elfgen.guest(CODE["mft_entries"], devices=BLOCK))
    assert run(spt, "--mem=4", f"--block:storage={storage}", path).returncode == 2


# --- block ---


def test_block_attached(spt: Path, write_elf: WriteElf, storage: Path) -> None:
    def status(offset: int, shift: int, *opts: str) -> int:
        path = write_elf("b.spt", elfgen.guest(mft_u16(offset, shift), devices=BLOCK))
        return run(spt, "--mem=4", *opts, f"--block:storage={storage}", path).returncode

    capacity_hi = mft_field(1, OFF["u"]) + 2  # bits 16..31 of the capacity
    block_size = mft_field(1, OFF["u"] + 8)
    assert status(capacity_hi, 0) == (4 << 20) >> 16
    assert status(block_size, 8) == 2
    assert status(block_size, 8, "--block-sector-size:storage=4096") == 16
    assert status(mft_field(1, OFF["attached"]), 0) == 1


@pytest.mark.parametrize(
    ("offset", "write", "status"),
    [
        (0, False, 2),
        ((4 << 20) - 512, False, 2),
        ((4 << 20) - 512, True, 2),
        (4 << 20, False, 159),
        ((4 << 20) - 256, True, 159),
    ],
)
def test_block_io_is_bounded_by_the_filter(
    spt: Path, write_elf: WriteElf, storage: Path, offset: int, write: bool, status: int
) -> None:
    path = write_elf("io.spt", elfgen.guest(elfgen.block_pread(offset, write), BLOCK))
    assert run(spt, "--mem=4", f"--block:storage={storage}", path).returncode == status


def test_block_not_attached(spt: Path, write_elf: WriteElf) -> None:
    path = write_elf("b.spt", elfgen.guest(devices=BLOCK))
    r = run(spt, path)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "solo5-spt: Device 'storage' of type BLOCK_BASIC declared but not attached.",
        "solo5-spt: All declared devices must be attached. See --help for syntax.",
    ]


def test_block_not_declared(spt: Path, hello: Path, storage: Path) -> None:
    r = run(spt, f"--block:storage={storage}", hello)
    assert r.returncode == 1
    assert r.stderr.startswith(
        "solo5-spt: Resource not declared in manifest: 'storage'\n"
        f"solo5-spt: Invalid option: `--block:storage={storage}'\nusage: "
    )


def test_block_cannot_open(spt: Path, write_elf: WriteElf, tmp_path: Path) -> None:
    path = write_elf("b.spt", elfgen.guest(devices=BLOCK))
    one_error(
        run(spt, f"--block:storage={tmp_path}/none.img", path),
        f"Could not open block device: {tmp_path}/none.img",
    )


@pytest.mark.parametrize(
    ("size", "sector", "message"),
    [
        (6 << 10, "4096", "storage: Backing storage size must be block aligned (4096 bytes)"),
        (0, "512", "storage: Backing storage must be at least 1 block (512 bytes) in size"),
        (4 << 20, "521", "Block size must be a multiple of 2 greater than or equal 512"),
        (4 << 20, "256", "Block size must be a multiple of 2 greater than or equal 512"),
        (4 << 20, "x", "Block size must be a multiple of 2 greater than or equal 512"),
    ],
)
def test_block_bad_geometry(
    spt: Path, write_elf: WriteElf, tmp_path: Path, size: int, sector: str, message: str
) -> None:
    img = tmp_path / "s.img"
    img.write_bytes(b"\0" * size)
    path = write_elf("b.spt", elfgen.guest(devices=BLOCK))
    one_error(
        run(spt, f"--block-sector-size:storage={sector}", f"--block:storage={img}", path), message
    )


# --- net (needs root for a private network namespace with a TAP device) ---


def _netns_available() -> bool:
    return (
        os.geteuid() == 0
        and shutil.which("unshare") is not None
        and shutil.which("ip") is not None
        and os.path.exists("/dev/net/tun")
    )


needs_netns = pytest.mark.skipif(
    not _netns_available(), reason="needs root, unshare, ip and /dev/net/tun"
)


def run_in_netns(script: str) -> subprocess.CompletedProcess[str]:
    """Runs a shell script in a new, private network namespace with tap100 (MTU 9000)."""
    setup = (
        "set -e; ip tuntap add tap100 mode tap; ip link set tap100 mtu 9000; "
        "ip link set tap100 up; set +e\n"
    )
    return subprocess.run(
        ["unshare", "-n", "sh", "-c", setup + script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_netns
def test_net_attached(spt: Path, write_elf: WriteElf, storage: Path) -> None:
    mtu = mft_field(2, OFF["u"] + 6)
    mac = mft_field(2, OFF["u"])
    paths = {
        name: write_elf(f"{name}.spt", elfgen.guest(code, BLOCK_NET))
        for name, code in [
            ("mtu", mft_u16(mtu, 8)),
            ("mac", mft_u16(mac, 0)),
            ("mac1", mft_u16(mac + 4, 8)),
        ]
    }
    opts = f"--mem=4 --block:storage={storage} --net:service0=tap100"
    r = run_in_netns(
        f"{spt} {opts} {paths['mtu']}; echo $?\n"
        f"{spt} {opts} {paths['mac']}; echo $?\n"
        f"{spt} {opts} --net-mac:service0=12:34:56:78:9a:bc {paths['mac1']}; echo $?\n"
    )
    mtu_status, mac_status, mac1_status = map(int, r.stdout.split())
    assert mtu_status == 9000 >> 8
    assert mac_status & 3 == 2  # random: unicast, locally administered
    assert mac1_status == 0xBC


@needs_netns
@pytest.mark.parametrize(
    ("setup", "option", "message"),
    [
        ("", "--net:service0=tap999", "Could not attach interface: tap999: no such interface"),
        (
            "ip link set tap100 down;",
            "--net:service0=tap100",
            "Could not attach interface: tap100: interface is down",
        ),
        ("", "--net:service0=@0", "Could not attach interface: @0: not a TAP device"),
        ("", "--net:service0=" + "t" * 16, "name too long"),
    ],
)
def test_net_attach_errors(
    spt: Path, write_elf: WriteElf, storage: Path, setup: str, option: str, message: str
) -> None:
    path = write_elf("n.spt", elfgen.guest(devices=BLOCK_NET))
    r = run_in_netns(f"{setup} {spt} --block:storage={storage} {option} {path} </dev/null")
    one_error(r, message)


def test_net_mac_malformed(spt: Path, write_elf: WriteElf) -> None:
    path = write_elf("n.spt", elfgen.guest(devices=BLOCK_NET))
    for mac, msg in [("zz", "Malformed MAC address"), ("01:00:00:00:00:01", "multicast")]:
        r = run(spt, f"--net-mac:service0={mac}", path)
        assert r.returncode == 1
        assert msg in r.stderr.splitlines()[0]
        assert "Invalid option: `--net-mac:service0=" in r.stderr
