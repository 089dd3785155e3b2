# Builds what SwiftPM cannot: libotel_preload.so and the C plugins, linked
# with cc so that they depend on libc alone (a preloaded object with a missing
# dependency would stop every program from starting, and a C plugin must not
# drag the dynamic Swift runtime into the process). Everything else is
# `swift build`.
#
#   make                    release build: .build/release/{otel-instrument,libOTelRuntime.so,libotel_preload.so,…}
#   make test               debug build, then the whole test suite
#   make install PREFIX=…   bin/, lib/otel-native/, include/otel-native/, share/otel-native/plugins.d/ (every
#                           manifest), etc/otel-native/plugins.d/ (the defaults; otel-bootstrap enables more)
#   make install-files PREFIX=… [CONFIG=debug]   the same, from an existing build

PREFIX ?= /usr/local
CONFIG ?= release
BUILD := .build/$(CONFIG)
CC ?= cc
PRELOAD_FLAGS := -shared -fPIC -O2 -Wall -Wextra -Werror -fvisibility=hidden -ISources/COTelPreload/include
# x86-64: a dlopened plugin's thread-local variables reached through TLS descriptors (an indirect call of
# two instructions once ld.so placed them), not ld.so's __tls_get_addr at every access (aarch64's default).
TLS_DIALECT := $(if $(filter x86_64,$(shell uname -m)),-mtls-dialect=gnu2)
# Jumps, labels and loops not padded to alignment: fewer code lines per request (docs/performance.md);
# flags GCC has and clang does not.
NO_CODE_ALIGNMENT := $(shell $(CC) -fno-align-jumps -fno-align-labels -fno-align-loops -Werror -x c -c /dev/null -o /dev/null 2>/dev/null \
	&& echo -fno-align-jumps -fno-align-labels -fno-align-loops)
# C plugins are built as a third party builds them: against the two headers alone.
PLUGIN_FLAGS := -shared -fPIC -O2 $(TLS_DIALECT) $(NO_CODE_ALIGNMENT) -Wall -Wextra -Werror -fvisibility=hidden -ISources/COTelCore/include \
	-ISources/COTelPlugin/include -IPlugins/Distro/include

# The HTTP server plugin runs on every request a server reads: its files are optimized as one
# (link-time), so that the clock's and the method table's small functions are inlined into the
# wrappers that call them (docs/performance.md: 36 fewer instructions per nginx request).
# (Where the compiler can: clang may lack its linker plugin.)
PER_REQUEST_PLUGIN_FLAGS := $(shell echo 'int f(void) { return 0; }' | $(CC) -flto -shared -fPIC -x c - -o /dev/null 2>/dev/null && echo -flto)

.PHONY: all build preload test install install-files

all: build

build:
	swift build -c $(CONFIG)
	$(MAKE) preload CONFIG=$(CONFIG)

preload:
	$(CC) $(PRELOAD_FLAGS) -o $(BUILD)/libotel_preload.so Sources/COTelPreload/preload.c -ldl
	mkdir -p $(BUILD)/generated
	$(BUILD)/otel-instrument-tool --print-flag-table > $(BUILD)/generated/otel_instrument_flags.h
	$(CC) -O2 -Wall -Wextra -Werror -I$(BUILD)/generated -o $(BUILD)/otel-instrument Sources/otel-instrument/launcher.c
	$(CC) $(PLUGIN_FLAGS) -o $(BUILD)/libOTelDistro.so Plugins/Distro/distro.c
	$(CC) $(PLUGIN_FLAGS) -IPlugins/SQLite3/include -o $(BUILD)/libOTelSQLite3.so Plugins/SQLite3/sqlite3_plugin.c Plugins/SQLite3/sql.c -lpthread -ldl
	$(CC) $(PLUGIN_FLAGS) -IPlugins/Curl/include -IPlugins/HTTPSemconv/include -o $(BUILD)/libOTelCurl.so Plugins/Curl/curl_plugin.c \
		Plugins/Curl/curl_handles.c Plugins/Curl/curl_errors.c Plugins/HTTPSemconv/http_semconv.c -lpthread -ldl
	$(CC) $(PLUGIN_FLAGS) $(PER_REQUEST_PLUGIN_FLAGS) -IPlugins/HTTPServer/include -IPlugins/HTTPSemconv/include -o $(BUILD)/libOTelHTTPServer.so \
		Plugins/HTTPServer/http_server_plugin.c Plugins/HTTPServer/connections.c Plugins/HTTPServer/http_parser.c Plugins/HTTPServer/request_clock.c \
		Plugins/HTTPSemconv/http_semconv.c -lpthread
	$(CC) $(PLUGIN_FLAGS) -IPlugins/Process/include -o $(BUILD)/libOTelProcess.so Plugins/Process/process_plugin.c \
		Plugins/Process/child_environment.c
	$(CC) $(PLUGIN_FLAGS) -IPlugins/OTLP/include -o $(BUILD)/libOTelOTLP.so Plugins/OTLP/otlp_exporter.c Plugins/OTLP/http_client.c Plugins/OTLP/tls.c -ldl -lpthread

test:
	$(MAKE) build CONFIG=debug
	swift test

install: build
	$(MAKE) install-files CONFIG=$(CONFIG) PREFIX=$(PREFIX)

# Copies an existing build into PREFIX (the tests use it on their debug build).
# Every plugin's manifest is available in share/; the defaults are enabled in
# etc/plugins.d, the instrumentations of particular libraries by otel-bootstrap.
DEFAULT_MANIFESTS := plugins.d/otel-native.ini plugins.d/distro.ini plugins.d/otlp.ini plugins.d/process.ini

install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/otel-native $(DESTDIR)$(PREFIX)/include/otel-native \
		$(DESTDIR)$(PREFIX)/etc/otel-native/plugins.d $(DESTDIR)$(PREFIX)/share/otel-native/plugins.d
	install -m 755 $(BUILD)/otel-instrument $(BUILD)/otel-instrument-tool $(BUILD)/otel-bootstrap $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(BUILD)/libotel_preload.so $(BUILD)/libOTelRuntime.so $(BUILD)/libOTelDistro.so $(BUILD)/libOTelSQLite3.so $(BUILD)/libOTelCurl.so $(BUILD)/libOTelHTTPServer.so $(BUILD)/libOTelProcess.so $(BUILD)/libOTelOTLP.so $(DESTDIR)$(PREFIX)/lib/otel-native/
	install -m 644 Sources/COTelCore/include/otel_core.h Sources/COTelPlugin/include/otel_plugin.h $(DESTDIR)$(PREFIX)/include/otel-native/
	install -m 644 plugins.d/*.ini $(DESTDIR)$(PREFIX)/share/otel-native/plugins.d/
	install -m 644 $(DEFAULT_MANIFESTS) $(DESTDIR)$(PREFIX)/etc/otel-native/plugins.d/
