"""The one project version: every tool's --version and every generated file use it."""

VERSION = "0.1.0"
