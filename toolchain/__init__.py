"""The Solo5 build toolchain: manifest model, ELF notes, targets, generators and CLIs."""

from solo5_toolchain.version import VERSION

__all__ = ["VERSION"]
