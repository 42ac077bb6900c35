# Build hello with a plain C compiler and pkg-config (solo5-bindings-<target>.pc).
#
#   make -f pkg-config.mk                                  .pc files from the default path
#   make -f pkg-config.mk PKG_CONFIG_PATH=/opt/solo5/lib/pkgconfig
#
# Objects are compiled once with the (target-independent) Cflags of the spt
# bindings, then linked per target with that target's Libs.

PKG_CONFIG ?= pkg-config
# (Spelt out: make 4.3 does not export variables to $(shell).)
PC := PKG_CONFIG_PATH='$(PKG_CONFIG_PATH)' $(PKG_CONFIG)
CC := cc
ELFTOOL ?= $(shell $(PC) --variable=prefix solo5-bindings-spt)/bin/solo5-elftool
CFLAGS ?= -std=c11 -Wall -Wextra -Werror -O2 -g
SOLO5_CFLAGS := $(shell $(PC) --cflags solo5-bindings-spt)
ifeq ($(SOLO5_CFLAGS),)
$(error solo5-bindings-spt.pc not found: set PKG_CONFIG_PATH=<Solo5 prefix>/lib/pkgconfig)
endif
TARGETS ?= spt hvt

all: $(addprefix hello.,$(TARGETS))

hello.o: hello.c
	$(CC) $(SOLO5_CFLAGS) $(CFLAGS) -c $< -o $@

manifest.c: manifest.json
	$(ELFTOOL) gen-manifest $< $@

manifest.o: manifest.c
	$(CC) $(SOLO5_CFLAGS) $(CFLAGS) -c $< -o $@

$(addprefix hello.,$(TARGETS)): hello.%: hello.o manifest.o
	$(CC) hello.o manifest.o $$($(PC) --libs solo5-bindings-$*) -o $@

clean:
	rm -f hello.o manifest.c manifest.o $(addprefix hello.,$(TARGETS))

.PHONY: all clean
