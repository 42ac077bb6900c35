"""`solo5-oci create`: set the container up and leave its init waiting.

In order: the state directory; the plan (plan.py: unikernel, tender,
devices, memory, all checked); the network namespace and the taps in it;
the IPC and UTS namespaces; the cgroup; the exec FIFO; the PID namespace;
then a fork.  The child joins the cgroup (and cgroup namespace), applies
the rlimits, hostname and console, and execs solo5-oci-init, which reports
"ok" on the sync pipe and waits for `start`.  Any failure on the way is one
message, and everything made so far is undone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import struct
import termios
from datetime import UTC, datetime

from solo5_oci import cgroups, namespaces, network, plan, resources, state
from solo5_oci.context import Context
from solo5_oci.errors import OciError
from solo5_oci.spec import Spec, load
from solo5_oci.unikernel import Host


class Made:
    """What create has set up so far, to undo on failure."""

    def __init__(self) -> None:
        self.attached: list[network.Attached] = []
        self.cgroup: cgroups.Cgroup | None = None
        self.pid = 0  # the init's
        self.pidfd = -1
        self.start_time: int | None = None
        self.tty: tuple[int, int] | None = None  # (master, slave)

    def undo(self) -> None:
        if self.pidfd >= 0:  # not solo5-oci's child: the engine reaps it
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        if self.cgroup:
            cgroups.remove(self.cgroup)
        network.release(self.attached)
        for fd in self.tty or ():
            os.close(fd)


def init_argv(
    ctx: Context, spec: Spec, sync_fd: int, fifo: str, tender: list[str] | None
) -> list[str]:
    """solo5-oci-init's command line (oci/init/oci_init_main.c)."""
    user = spec.process.user
    ids = f"{user.uid}:{user.gid}" + "".join(f":{g}" for g in user.additional_gids[:1])
    ids += "".join(f",{g}" for g in user.additional_gids[1:])
    argv = [ctx.init, f"--sync-fd={sync_fd}", f"--exec-fifo={fifo}", f"--user={ids}"]
    return argv + (["--", *tender] if tender else ["--pause"])


def cgroups_path(ctx: Context, spec: Spec, container_id: str) -> str:
    if not spec.cgroups_path:
        return container_id  # under solo5-oci's own cgroup, as runc does
    if ctx.systemd_cgroup:
        return resources.systemd_path(spec.cgroups_path)
    return spec.cgroups_path


def _send_console(console_socket: str, master: int) -> None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(console_socket)
            socket.send_fds(sock, [b"/dev/ptmx"], [master])
    except OSError as error:
        raise OciError(f"--console-socket {console_socket}: {error.strerror or error}") from None


def _open_console(spec: Spec, console_socket: str | None) -> tuple[int, int] | None:
    if not spec.process.terminal:
        return None
    if console_socket is None:
        raise OciError("process.terminal is true: --console-socket is needed")
    master, slave = os.openpty()
    if spec.process.console_size:
        rows, cols = spec.process.console_size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    try:
        _send_console(console_socket, master)
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    return master, slave


def _child(
    spec: Spec,
    made: Made,
    hidden: list[str],
    keep: list[int],
    argv: list[str],
) -> None:
    """The container's init before it execs solo5-oci-init (raises on failure)."""
    import resource

    assert made.cgroup is not None
    cgroups.join(made.cgroup)
    namespaces.enter(spec, "cgroup")
    namespaces.enter_mount(spec, hidden)
    if spec.hostname and spec.namespace("uts"):
        socket.sethostname(spec.hostname)
    for limit in spec.process.rlimits:
        number = resources.rlimit_number(limit.type)
        try:
            resource.setrlimit(number, (limit.soft, limit.hard))
        except (OSError, ValueError):
            current = resource.getrlimit(number)[1]
            raise OciError(
                resources.rlimit_refused(limit.type, limit.soft, limit.hard, current)
            ) from None
    if spec.process.oom_score_adj is not None:
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as stream:
            stream.write(str(spec.process.oom_score_adj))
    os.setsid()
    if made.tty:
        fcntl.ioctl(made.tty[1], termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(made.tty[1], fd)
    for fd in keep:
        os.set_inheritable(fd, True)
    os.chdir("/")
    os.execv(argv[0], argv)


def _error_line(error: BaseException, argv0: str) -> bytes:
    if isinstance(error, OciError):
        message = str(error)
    else:
        message = f"{argv0}: {getattr(error, 'strerror', None) or error}"
    return f"error: {message}\n".encode()


def _fork(
    spec: Spec,
    made: Made,
    hidden: list[str],
    argv: list[str],
    keep: list[int],
    sync: tuple[int, int],
) -> None:
    """Fork the container's init into its PID namespace.

    A first child enters the namespace (unshare(CLONE_NEWPID) moves only the
    children of its caller) and forks the init: solo5-oci itself stays
    outside, so that it can still run tc to undo the network on failure."""
    assert made.cgroup is not None
    relay = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(relay[0])
        os.close(sync[0])
        try:
            namespaces.enter(spec, "pid")
            pid = os.fork()
            if pid == 0:
                os.close(relay[1])
                _child(spec, made, hidden, keep, argv)
            os.write(relay[1], f"{pid}".encode())
        except BaseException as error:
            os.write(sync[1], _error_line(error, argv[0]))
            os._exit(1)
        os._exit(0)
    os.close(relay[1])
    answer = os.read(relay[0], 64)
    os.close(relay[0])
    if answer:
        # The init is the middle child's until that one is reaped: its pid
        # cannot have been reused yet.
        made.pid = int(answer)
        made.pidfd = os.pidfd_open(made.pid)
        made.start_time = state.start_time(made.pid)
    os.waitpid(middle, 0)


def _wait_ready(sync_read: int) -> None:
    chunks = []
    while chunk := os.read(sync_read, 4096):
        chunks.append(chunk)
    answer = b"".join(chunks).decode(errors="replace").strip()
    if answer != "ok":
        raise OciError(answer.removeprefix("error: ") or "the container's init did not start")


def _write_pid_file(path: str, pid: int) -> None:
    path = os.path.abspath(path)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="ascii") as stream:
        stream.write(str(pid))
    os.replace(tmp, path)


def _prepare(
    ctx: Context,
    spec: Spec,
    chosen: plan.Plan,
    host: Host,
    container_id: str,
    console_socket: str | None,
    made: Made,
) -> list[str] | None:
    """The namespaces, taps, cgroup and console; the tender's command line."""
    namespaces.enter(spec, "network")
    made.attached = network.attach(chosen.nets)
    tender = chosen.tender_argv(host, made.attached) if chosen.unikernel else None
    for kind in ("ipc", "uts"):
        namespaces.enter(spec, kind)
    made.cgroup = cgroups.create(
        cgroups_path(ctx, spec, container_id),
        spec.resources,
        chosen.device_rules(),
        _read("/proc/self/mountinfo"),
        _read("/proc/self/cgroup"),
    )
    made.tty = _open_console(spec, console_socket)
    return tender


def _start_init(
    ctx: Context,
    spec: Spec,
    chosen: plan.Plan,
    container_id: str,
    tender: list[str] | None,
    made: Made,
) -> None:
    """Fork the init, which execs solo5-oci-init; return once it is ready."""
    fifo = os.path.join(state.directory(ctx.root, container_id), state.EXEC_FIFO)
    os.mkfifo(fifo, 0o600)
    sync = os.pipe()
    argv = init_argv(ctx, spec, sync[1], fifo, tender)
    keep = [sync[1], *chosen.fds, *(a.fd for a in made.attached)]
    _fork(spec, made, chosen.hidden_devices(), argv, keep, sync)
    os.close(sync[1])
    _wait_ready(sync[0])
    os.close(sync[0])
    if made.start_time is None:
        raise OciError("the container's init ended before it was ready")


def _record(ctx: Context, spec: Spec, chosen: plan.Plan, container_id: str, made: Made) -> None:
    """state.json: what the other commands need."""
    assert made.cgroup is not None and made.start_time is not None
    netns = spec.namespace("network")
    state.save(
        ctx.root,
        state.State(
            id=container_id,
            bundle=spec.bundle,
            rootfs=spec.root,
            pid=made.pid,
            start_time=made.start_time,
            created=_now(),
            annotations=spec.annotations,
            cgroup_leaves=list(made.cgroup.leaves),
            cgroup_created=list(made.cgroup.created),
            netns=netns.path if netns else None,
            ingress=[a.iface.name for a in made.attached],
            tender=chosen.unikernel.target if chosen.unikernel else "",
            unikernel=chosen.unikernel.path if chosen.unikernel else "",
        ),
    )


def _setup(
    ctx: Context,
    container_id: str,
    bundle: str,
    pid_file: str | None,
    console_socket: str | None,
    made: Made,
) -> None:
    spec = load(bundle)
    namespaces.check_supported(spec)
    host = Host(ctx.bin_dir)
    chosen = plan.make(spec, host)
    try:
        tender = _prepare(ctx, spec, chosen, host, container_id, console_socket, made)
        _start_init(ctx, spec, chosen, container_id, tender, made)
    finally:
        chosen.close()
    _record(ctx, spec, chosen, container_id, made)
    if pid_file:
        _write_pid_file(pid_file, made.pid)


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as stream:
        return stream.read()


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def create(
    ctx: Context, container_id: str, bundle: str, pid_file: str | None, console_socket: str | None
) -> None:
    os.makedirs(ctx.root, mode=0o700, exist_ok=True)
    where = state.directory(ctx.root, container_id)
    try:
        os.mkdir(where, 0o700)
    except FileExistsError:
        raise OciError(f"container {container_id!r} already exists") from None
    except OSError as error:
        raise OciError(f"--root {ctx.root}: {error.strerror or error}") from None
    made = Made()
    try:
        _setup(ctx, container_id, bundle, pid_file, console_socket, made)
    except BaseException:
        made.undo()
        shutil.rmtree(where, ignore_errors=True)
        raise
    for fd in [*(made.tty or ()), *(a.fd for a in made.attached), made.pidfd]:
        os.close(fd)
