"""The one project version, and the upstream interfaces it implements.

Every tool's --version, the bindings' banner and every generated file use
them: tools and people read `solo5-hvt --version` to learn both what this
build is and which upstream Solo5 release it is compatible with.
"""

VERSION = "0.2.0"

# The upstream Solo5 release whose interfaces (guest API, ABI notes,
# hypercalls, install layout, command lines, messages) this implementation
# keeps; docs/compatibility.md lists where it deliberately differs.
UPSTREAM_INTERFACES = "0.12.1"

# What --version lines and the banner say after "version ".
VERSION_DESCRIPTION = f"{VERSION} (Solo5 {UPSTREAM_INTERFACES} interfaces)"
