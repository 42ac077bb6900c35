"""What the hvt suites need from the host: a usable /dev/kvm.

Every hvt test module starts with `pytestmark = requires_hvt` so that the
whole suite skips, with the reason, where KVM cannot be used.
"""

from __future__ import annotations

import errno
import fcntl
import os

import pytest
from support.guest import tender

KVM_DEV = "/dev/kvm"
KVM_GET_API_VERSION = 0xAE00  # _IO(KVMIO, 0x00)
KVM_API_VERSION = 12


def kvm_problem() -> str | None:
    """Why /dev/kvm cannot run guests here, or None if it can."""
    try:
        fd = os.open(KVM_DEV, os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        why = "does not exist" if e.errno == errno.ENOENT else e.strerror
        return f"{KVM_DEV}: {why}"
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as e:
        return f"{KVM_DEV}: KVM_GET_API_VERSION: {e.strerror}"
    finally:
        os.close(fd)
    if version != KVM_API_VERSION:
        return f"{KVM_DEV}: KVM API version {version}, {KVM_API_VERSION} required"
    return None


KVM_CHECK_EXTENSION = 0xAE03  # _IO(KVMIO, 0x03)


def kvm_has_extension(cap: int) -> bool:
    """Whether /dev/kvm says yes to KVM_CHECK_EXTENSION(cap)."""
    try:
        fd = os.open(KVM_DEV, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return fcntl.ioctl(fd, KVM_CHECK_EXTENSION, cap) > 0
    except OSError:
        return False
    finally:
        os.close(fd)


# A missing solo5-hvt is a build failure, not a reason to skip: the run
# helpers fail on it.  Only a host without usable KVM skips.
_PROBLEM = kvm_problem()
requires_hvt = pytest.mark.skipif(_PROBLEM is not None, reason=f"hvt cannot run: {_PROBLEM}")
HVT = tender("hvt").binary
