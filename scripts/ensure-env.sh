# Sourced by scripts/demo and scripts/test: installs whatever this checkout
# needs and is safe to repeat (it does nothing when all is in place).
#   - Debian packages: installed with apt-get when running as root, otherwise
#     one message with the exact command to run;
#   - for the tests only, Python dependencies (pinned in pyproject.toml): into
#     .venv/, re-installed when pyproject.toml changes.
# The demo (the default) builds with Debian's SCons and Jinja2, the packages
# the .deb builds with: no virtualenv, no pip, nothing to download but those.
# `SOLO5_ENV=test source scripts/ensure-env.sh` also installs what the test
# suite needs (scripts/test does this) and puts .venv/bin first on PATH.
# Sets SOLO5_SCONS to the scons to run, and leaves the caller's shell options
# as they were (so that sourcing it in an interactive shell is safe).

_solo5_saved_options=$(set +o)
set -euo pipefail

SOLO5_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOLO5_VENV="$SOLO5_TOP/.venv"

# Debian packages.  scripts/demo needs only the first list (build the tree
# and run one unikernel); scripts/test sets SOLO5_ENV=test before sourcing
# this file and gets both.  Each test group names who needs it, so that a
# package is added (and one day removed) with its tests.
SOLO5_DEMO_PACKAGES=(
    gcc binutils libc6-dev
    # the build's Python side: Debian's SCons (on python3) and Jinja2
    scons python3-jinja2
)
SOLO5_TEST_PACKAGES=(
    # the test suite's .venv (pytest, hypothesis, mypy, ruff, pinned SCons)
    python3-venv
    iproute2 iputils-ping hyperfine
    # tests/virtio: QEMU and the boot image tools
    qemu-system-x86 syslinux syslinux-common mtools dosfstools
    # tests/packaging: the .deb build (debian/control's Build-Depends), man
    # pages, and the installed pkg-config files read by pkg-config
    devscripts debhelper build-essential groff-base pkg-config
    # tests/debug: real gdb sessions against solo5-hvt-debug and solo5-spt, cores
    gdb
    # tests/hvt/test_hvt_boot_faults.py: perf stat on KVM's shadow-paging tracepoint
    linux-perf
    # tests/packaging/test_autoconf.py: a configure generated at test time
    autoconf
    # tests/faults: faultfs.c, a FUSE file that fails I/O on demand
    libfuse3-dev
    # tests/fuzz, scripts/fuzz: the libFuzzer harnesses (clang, its fuzzer runtime)
    clang libclang-rt-14-dev
    # bench/workloads.py (not a test): ab drives the bench_tcp unikernel
    apache2-utils
    # the xen target's headers (the build skips xen without them), tests/targets/test_xen.py
    libxen-dev
    # tests/oci: solo5-oci under the real engines (podman with netavark, whose
    # firewall rules need iptables; containerd and its runc shim)
    podman runc netavark iptables containerd
    # tests/container: the development image (podman with runc) and its Debian base
    podman runc mmdebstrap
    # tests/aarch64: the cross toolchain (scons then builds the aarch64
    # wrappers, bindings and tenders), Debian's arm64 libc (multiarch: the
    # VM's /lib and qemu-user's), QEMU system (the VM) and user mode (unit
    # tests), cpio for the initramfs
    gcc-aarch64-linux-gnu libc6:arm64 qemu-system-arm qemu-user cpio
)
SOLO5_DEBIAN_PACKAGES=("${SOLO5_DEMO_PACKAGES[@]}")
if [ "${SOLO5_ENV:-demo}" = test ]; then
    SOLO5_DEBIAN_PACKAGES+=("${SOLO5_TEST_PACKAGES[@]}")
fi

solo5_missing_packages() {
    # One dpkg-query for all (it is most of a repeated run's set-up time).
    local installed pkg missing=()
    # Names with and without their :arch, as the lists may spell them.
    installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${binary:Package}\n' \
        "${SOLO5_DEBIAN_PACKAGES[@]}" 2>/dev/null | awk '$1 == "ii" { print $2, $3 }' |
        tr '\n' ' ')"
    for pkg in "${SOLO5_DEBIAN_PACKAGES[@]}"; do
        case $installed in
        *" $pkg "*) ;;
        *) missing+=("$pkg") ;;
        esac
    done
    echo "${missing[@]:-}"
}

# The foreign architectures (dpkg multiarch) that the missing packages
# name (libc6:arm64 -> arm64) and dpkg does not know yet.
solo5_missing_architectures() {
    local pkg arch missing=()
    for pkg in $1; do
        case $pkg in
        *:*) arch=${pkg#*:} ;;
        *) continue ;;
        esac
        if [ "$arch" != "$(dpkg --print-architecture)" ] &&
            ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
            missing+=("$arch")
        fi
    done
    echo "${missing[@]:-}"
}

solo5_ensure_packages() {
    local missing arches arch
    missing=$(solo5_missing_packages)
    [ -z "$missing" ] && return 0
    arches=$(solo5_missing_architectures "$missing")
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing Debian packages: $missing" >&2
        for arch in $arches; do
            echo "error: run: sudo dpkg --add-architecture $arch" >&2
        done
        echo "error: run: sudo apt-get install -y $missing" >&2
        exit 1
    fi
    for arch in $arches; do
        echo "==> adding the Debian architecture $arch (multiarch)"
        dpkg --add-architecture "$arch"
    done
    echo "==> installing Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt (a second checkout's set-up) instead of failing.
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq $missing >/dev/null
}

solo5_python() {
    # The newest python3 >= 3.11 on PATH.
    local py
    for py in python3.13 python3.12 python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 &&
            "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    echo "error: Python 3.11 or newer is needed (apt-get install -y python3)" >&2
    exit 1
}

solo5_ensure_venv() {
    local stamp="$SOLO5_VENV/.solo5-installed" want
    want=$(sha256sum "$SOLO5_TOP/pyproject.toml" | cut -d' ' -f1)
    if [ ! -x "$SOLO5_VENV/bin/python" ]; then
        echo "==> creating $SOLO5_VENV"
        "$(solo5_python)" -m venv "$SOLO5_VENV"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "==> installing Python dependencies into $SOLO5_VENV"
        "$SOLO5_VENV/bin/python" -m pip install -q --upgrade pip
        "$SOLO5_VENV/bin/python" -m pip install -q -e "$SOLO5_TOP[test]"
        echo "$want" >"$stamp"
    fi
}

# tests/xen: Debian's Xen hypervisor, booted under QEMU.  Not installed (it
# would become this machine's boot entry): the package is downloaded and
# the hypervisor unpacked into a cache outside the checkout.
SOLO5_XEN_PACKAGE=xen-hypervisor-4.17-amd64
SOLO5_XEN_CACHE=${SOLO5_XEN_CACHE:-/var/cache/solo5-tests/xen}

solo5_ensure_xen() {
    local xen="$SOLO5_XEN_CACHE/xen-4.17-amd64" tmp
    [ -s "$xen" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "note: tests/xen will be skipped: $xen is missing (run this as root to fetch it)" >&2
        return 0
    fi
    echo "==> fetching $SOLO5_XEN_PACKAGE into $SOLO5_XEN_CACHE"
    mkdir -p "$SOLO5_XEN_CACHE"
    # (apt downloads into a private temporary folder as root, unsandboxed:
    # its warning about that is dropped with the rest of its stderr.)
    tmp=$(mktemp -d)
    # A stale package list names a version the mirror no longer has:
    # refresh it once and try again.
    if { (cd "$tmp" && apt-get download -qq "$SOLO5_XEN_PACKAGE" 2>/dev/null) ||
        { apt-get -o DPkg::Lock::Timeout=900 update -qq &&
            (cd "$tmp" && apt-get download -qq "$SOLO5_XEN_PACKAGE" 2>/dev/null); }; } &&
        dpkg-deb --fsys-tarfile "$tmp"/"$SOLO5_XEN_PACKAGE"_*.deb |
        tar -xO ./boot/xen-4.17-amd64.gz | gunzip >"$tmp/xen" && [ -s "$tmp/xen" ]; then
        mv "$tmp/xen" "$xen"
    else
        echo "warning: could not fetch $SOLO5_XEN_PACKAGE: tests/xen will be skipped" >&2
    fi
    rm -rf "$tmp"
}

solo5_ensure_packages
if [ "${SOLO5_ENV:-demo}" = test ]; then
    solo5_ensure_xen
    solo5_ensure_venv
    export PATH="$SOLO5_VENV/bin:$PATH"
    SOLO5_SCONS="$SOLO5_VENV/bin/scons"
else
    SOLO5_SCONS=/usr/bin/scons
fi
cd "$SOLO5_TOP"
eval "$_solo5_saved_options"
unset _solo5_saved_options
