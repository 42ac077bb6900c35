"""solo5-oci's command line: runc's, as podman and containerd call it.

    solo5-oci [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]

Each command imports only what it needs (solo5-oci runs once per container
operation).  Errors are one line, `solo5-oci: <message>`, on stderr and, with
--log, in the log (where containerd's shim looks); the status is 1.
"""

from __future__ import annotations

import sys

from solo5_oci.context import Context
from solo5_oci.errors import OciError
from solo5_oci.log import FORMATS, Log
from solo5_oci.state import DEFAULT_ROOT

PROG = "solo5-oci"
SPEC_VERSION = "1.0.2"

TYPE_CHECKING = False  # not typing's: importing typing costs each command ms
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TextIO


class UsageError(OciError):
    """A bad command line: one line, with the command's synopsis."""

    def __init__(self, message: str, command: str | None = None) -> None:
        super().__init__(message)
        self.command = command


class Command:
    __slots__ = ("aliases", "name", "options", "positional", "summary", "synopsis")

    def __init__(
        self,
        name: str,
        synopsis: str,
        summary: str,
        options: dict[str, bool] | None = None,
        aliases: dict[str, str] | None = None,
        positional: tuple[int, int] = (1, 1),
    ) -> None:
        self.name = name
        self.synopsis = synopsis  # after the command name
        self.summary = summary
        self.options = options or {}  # --flag -> takes a value
        self.aliases = aliases or {}  # -b -> --bundle
        self.positional = positional  # (minimum, maximum); -1: any number

    def usage(self) -> str:
        return f"usage: {PROG} [GLOBAL OPTIONS] {self.name} {self.synopsis}\n\n{self.summary}\n"


COMMANDS = {
    c.name: c
    for c in (
        Command(
            "create",
            "--bundle DIR [--pid-file FILE] [--console-socket SOCKET] ID",
            "Set up the container ID from the OCI bundle DIR (default: the current\n"
            "directory): read the unikernel named by process.args[0] of its config.json,\n"
            "attach every device its manifest declares, and leave its init process\n"
            "waiting for `start`.  --no-pivot, --no-new-keyring and --preserve-fds 0\n"
            "are accepted (solo5-oci never pivots into the rootfs).",
            {
                "--bundle": True,
                "--pid-file": True,
                "--console-socket": True,
                "--no-pivot": False,
                "--no-new-keyring": False,
                "--preserve-fds": True,
            },
            {"-b": "--bundle"},
        ),
        Command("start", "ID", "Run the unikernel of the created container ID."),
        Command("state", "ID", "Print the OCI state of container ID as JSON."),
        Command(
            "kill",
            "[--all] ID [SIGNAL]",
            "Send SIGNAL (a number or name; default TERM) to container ID; with --all\n"
            "to every process of its cgroup.  A terminating signal ends the unikernel and\n"
            "the container's status is 128 + the signal.",
            {"--all": False},
            {"-a": "--all"},
            (1, 2),
        ),
        Command(
            "delete",
            "[--force] ID",
            "Remove container ID: its cgroup, its state; with --force also a running one.",
            {"--force": False},
            {"-f": "--force"},
        ),
        Command(
            "ps",
            "[--format table|json] ID",
            "List the processes of container ID.",
            {"--format": True},
            {"-f": "--format"},
        ),
        Command("pause", "ID", "Freeze container ID (its cgroup freezer)."),
        Command("resume", "ID", "Thaw the paused container ID."),
        Command(
            "list",
            "[--format table|json] [--quiet]",
            "List the containers.",
            {"--format": True, "--quiet": False},
            {"-f": "--format", "-q": "--quiet"},
            (0, 0),
        ),
        Command("features", "", "Print what this runtime supports, as JSON.", positional=(0, 0)),
        Command(
            "build-image",
            "--output PATH [--tag NAME] [--file SRC:DEST]... [--label K=V]... "
            "[--annotation K=V]... UNIKERNEL [ARGS...]",
            "Write an OCI image of the hvt or spt UNIKERNEL, without any engine: the\n"
            "unikernel at /<its name> (and each --file SRC at DEST), its command\n"
            "UNIKERNEL ARGS.  PATH ending in .tar is an OCI archive (podman load -i,\n"
            "ctr image import), else an OCI layout directory (podman pull oci:PATH).\n"
            "--tag defaults to localhost/<name without suffix>:latest.  Each\n"
            "--annotation goes in /.solo5/annotations.json, which create reads (and\n"
            "in the manifest): the image asks for its tender, devices, net-args.",
            {
                "--output": True,
                "--tag": True,
                "--file": True,
                "--label": True,
                "--annotation": True,
            },
            {"-o": "--output", "-t": "--tag"},
            (1, -1),
        ),
    )
}

UNSUPPORTED = {
    "exec": "a unikernel is one program: there is nothing else to run in it",
    "update": "a unikernel's resources are fixed when it starts",
    "checkpoint": "a unikernel cannot be checkpointed",
    "restore": "a unikernel cannot be checkpointed",
    "run": "use create and start",
    "spec": "write config.json with your engine",
    "events": "use the engine's own statistics",
}


def usage() -> str:
    """`--help`: the global options and every command (the man page's text)."""
    lines = [
        f"usage: {PROG} [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]",
        "",
        "An OCI runtime for Solo5 unikernels: podman and containerd call it in place",
        "of runc.  The unikernel is process.args[0] of the bundle's config.json; its",
        "ABI picks solo5-hvt or solo5-spt, its manifest the devices to attach.",
        "",
        "Global options:",
        f"    --root DIR            container states (default {DEFAULT_ROOT})",
        "    --log FILE            append errors to FILE",
        "    --log-format FORMAT   text (default) or json",
        "    --systemd-cgroup      linux.cgroupsPath is SLICE:PREFIX:NAME",
        "    --debug               accepted (no effect)",
        "    -h, --help            this help; COMMAND --help: the command's",
        "    -v, --version         the version",
        "",
        "Commands:",
    ]
    for command in COMMANDS.values():
        lines.append(f"    {command.name} {command.synopsis}".rstrip())
        lines += [f"        {line}" for line in command.summary.splitlines()]
    lines += ["", "Not supported for unikernels: " + ", ".join(UNSUPPORTED) + ".", ""]
    return "\n".join(lines)


GLOBAL_VALUES = ("--root", "--log", "--log-format", "--criu", "--rootless")
GLOBAL_FLAGS = ("--systemd-cgroup", "--debug")


def _split(arg: str) -> tuple[str, str | None]:
    name, sep, value = arg.partition("=")
    return (name, value) if sep else (arg, None)


def parse_global(argv: Sequence[str]) -> tuple[dict[str, str | bool], list[str]]:
    """Global options -> (options, the rest starting at the command)."""
    options: dict[str, str | bool] = {}
    args = list(argv)
    while args and args[0].startswith("-"):
        name, value = _split(args.pop(0))
        name = "--" + name.lstrip("-") if name not in ("-h", "-v") else name
        if name in GLOBAL_VALUES:
            if value is None:
                if not args:
                    raise UsageError(f"option {name} needs a value")
                value = args.pop(0)
            options[name] = value
        elif name in GLOBAL_FLAGS or name in ("-h", "--help", "-v", "--version"):
            options[name] = True
        else:
            raise UsageError(f"unknown global option {name}")
    return options, args


def parse_command(command: Command, argv: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    """A command's options (each a list: some repeat) and positional arguments."""
    options: dict[str, list[str]] = {}
    positional: list[str] = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--":
            positional += args
            break
        if not arg.startswith("-") or arg == "-" or (positional and command.positional[1] < 0):
            positional.append(arg)
            continue
        name, value = _split(arg)
        name = command.aliases.get(name, name)
        if name in ("-h", "--help"):
            options["--help"] = []
            continue
        if name not in command.options:
            raise UsageError(f"{command.name}: unknown option {name}", command.name)
        if command.options[name] and value is None:
            if not args:
                raise UsageError(f"{command.name}: option {name} needs a value", command.name)
            value = args.pop(0)
        options.setdefault(name, []).append(value if value is not None else "")
    low, high = command.positional
    if "--help" not in options and (len(positional) < low or 0 <= high < len(positional)):
        what = "arguments" if high != 1 else "a container ID"
        raise UsageError(f"{command.name}: expected {what}", command.name)
    return options, positional


def _one(options: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = options.get(name)
    return values[-1] if values else default


def _format(options: dict[str, list[str]]) -> bool:
    """--format json (True) or table."""
    value = _one(options, "--format", "table")
    if value not in ("table", "json"):
        raise UsageError(f"--format {value}: expected table or json")
    return value == "json"


def _create(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.create import create

    fds = _one(o, "--preserve-fds", "0")
    if fds != "0":
        raise OciError(f"--preserve-fds {fds}: not supported for unikernels")
    create(
        ctx,
        a[0],
        _one(o, "--bundle", ".") or ".",
        _one(o, "--pid-file"),
        _one(o, "--console-socket"),
    )


def _start(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import start

    start(ctx, a[0])


def _state(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import print_state

    print_state(ctx, a[0], out)


def _kill(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import kill, parse_signal

    kill(ctx, a[0], parse_signal(a[1] if len(a) > 1 else "TERM"), "--all" in o)


def _delete(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import delete

    delete(ctx, a[0], "--force" in o)


def _ps(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import ps

    ps(ctx, a[0], _format(o), out)


def _pause(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import pause

    pause(ctx, a[0], True)


def _resume(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import pause

    pause(ctx, a[0], False)


def _list(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.lifecycle import list_containers

    list_containers(ctx, _format(o), "--quiet" in o, out)


def _features(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.features import print_features

    print_features(out)


def _pairs(o: dict[str, list[str]], option: str) -> dict[str, str]:
    """The KEY=VALUE items of a repeated `option`."""
    pairs = {}
    for item in o.get(option, []):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} {item}: expected KEY=VALUE", "build-image")
        pairs[key] = value
    return pairs


def _build_image(ctx: Context, o: dict[str, list[str]], a: list[str], out: TextIO) -> None:
    from solo5_oci.image import build

    output = _one(o, "--output")
    if not output:
        raise UsageError("build-image: --output PATH is needed", "build-image")
    labels = _pairs(o, "--label")
    annotations = _pairs(o, "--annotation")
    name = build(a[0], a[1:], output, _one(o, "--tag"), o.get("--file", []), labels, annotations)
    out.write(f"{name}\n")


if TYPE_CHECKING:
    Handler = Callable[[Context, dict[str, list[str]], list[str], TextIO], None]
HANDLERS: dict[str, Handler] = {
    "create": _create,
    "start": _start,
    "state": _state,
    "kill": _kill,
    "delete": _delete,
    "ps": _ps,
    "pause": _pause,
    "resume": _resume,
    "list": _list,
    "features": _features,
    "build-image": _build_image,
}


def _version() -> str:
    from solo5_toolchain.version import VERSION_DESCRIPTION

    return f"{PROG} version {VERSION_DESCRIPTION}\nspec: {SPEC_VERSION}\n"


def run(argv: Sequence[str], prefix: str, out: TextIO) -> Context | None:
    """Run one command line; raises OciError (UsageError for a bad one)."""
    options, rest = parse_global(argv)
    if "-v" in options or "--version" in options:
        out.write(_version())
        return None
    if "-h" in options or "--help" in options or not rest or rest[0] == "help":
        if not rest and not ("-h" in options or "--help" in options):
            raise UsageError("no command given")
        out.write(usage())
        return None
    log_format = str(options.get("--log-format", "text"))
    if log_format not in FORMATS:
        raise UsageError(f"--log-format {log_format}: expected text or json")
    log_path = options.get("--log")
    ctx = Context(
        prefix,
        str(options.get("--root", DEFAULT_ROOT)),
        Log(str(log_path) if log_path else None, log_format),
        bool(options.get("--systemd-cgroup")),
    )
    name = rest[0]
    if name in UNSUPPORTED:
        raise OciError(f"{name}: not supported for unikernels ({UNSUPPORTED[name]})")
    command = COMMANDS.get(name)
    if command is None:
        raise UsageError(f"unknown command {name!r}")
    parsed, positional = parse_command(command, rest[1:])
    if "--help" in parsed:
        out.write(command.usage())
        return ctx
    try:
        HANDLERS[name](ctx, parsed, positional, out)
    except OciError as error:
        ctx.log.write("error", f"{PROG}: {error}")
        raise
    return ctx


def _log_for(argv: Sequence[str]) -> Log:
    """The --log of a command line whose parsing failed, if it names one."""
    try:
        options, _rest = parse_global(argv)
    except OciError:
        return Log()
    path, log_format = options.get("--log"), options.get("--log-format", "text")
    return Log(str(path), str(log_format)) if path else Log()


def installed_prefix() -> str:
    """The Solo5 prefix this package is installed in: <prefix>/lib/solo5/python/solo5_oci/."""
    import os

    return os.path.dirname(
        os.path.dirname(
            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        )
    )


def main(argv: Sequence[str] | None = None, prefix: str | None = None) -> int:
    """The entry point of bin/solo5-oci; `prefix` is the Solo5 prefix whose
    tenders it runs (by default the one this package is installed in)."""
    args = sys.argv[1:] if argv is None else list(argv)
    prefix = prefix or installed_prefix()
    try:
        run(args, prefix, sys.stdout)
        sys.stdout.flush()
    except UsageError as error:
        hint = (
            f"usage: {PROG} {error.command} {COMMANDS[error.command].synopsis}"
            if error.command
            else f"{PROG} --help lists the commands"
        )
        message = f"{PROG}: {error} ({hint})"
        _log_for(args).write("error", message)
        sys.stderr.write(f"{message}\n")
        return 1
    except OciError as error:
        sys.stderr.write(f"{PROG}: {error}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as error:
        where = getattr(error, "filename", None) or "error"
        message = f"{PROG}: {where}: {error.strerror or error}"
        _log_for(args).write("error", message)
        sys.stderr.write(f"{message}\n")
        return 1
    return 0
