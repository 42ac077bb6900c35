/*
 * syslimits.h: staged in place of gcc's own, next to gcc's other private
 * headers in include/<triple>/ (the wrappers compile with -nostdinc).
 *
 * gcc's limits.h includes "syslimits.h", whose gcc version asks limits.h
 * to #include_next the C library's <limits.h>.  A unikernel has no C
 * library headers on its path, so with gcc's version `#include <limits.h>`
 * fails ("no include path in which to search for limits.h"), and autoconf's
 * AC_PROG_CPP, which requires <limits.h>, falls back to the host's cpp and
 * its glibc headers.  This empty version lets gcc's limits.h define the
 * C11 freestanding limits (CHAR_BIT, INT_MAX, ...) by itself, as clang's
 * does in a freestanding compilation.  docs/compatibility.md, "Toolchain".
 */
