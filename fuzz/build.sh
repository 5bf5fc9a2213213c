#!/bin/sh
# shellcheck disable=SC2086 # the flag and library lists are split into words on purpose
# Build the libFuzzer drivers in fuzz/ into build-fuzz/ (or $FUZZ_BUILD).
# Each target is linked from its driver and exactly the project sources it needs,
# listed below, with ASan and UBSan. Needs clang (libFuzzer ships with it).
# Usage: fuzz/build.sh [target...]   (default: all targets)
set -eu

cd "$(dirname "$0")/.."
OUT=${FUZZ_BUILD:-build-fuzz}
CC=${CC_FUZZ:-clang}
CXX=${CXX_FUZZ:-clang++}
mkdir -p "$OUT/obj"

CFLAGS="-Wall -Wextra -Wno-unused-parameter -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c17 -D_GNU_SOURCE -Isrc"
CXXFLAGS="-Wall -Wextra -Wno-unused-parameter -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -std=c++17 -D_GNU_SOURCE -Isrc"
JSON_LIBS=$(pkg-config --libs jansson)
SODIUM_LIBS=$(pkg-config --libs libsodium)
CRYPTO_LIBS=$(pkg-config --libs libcrypto)
SQLITE_LIBS=$(pkg-config --libs sqlite3)
# The C++ objects were compiled with UBSan's C++ checks (vptr): the link needs
# UBSan's C++ runtime as well as libstdc++.
# The fast path (phone_fast.cc) reads libphonenumber's metadata with libprotobuf
# and matches its patterns with PCRE2.
PHONE_CFLAGS=$(pkg-config --cflags libpcre2-8)
PHONE_LIBS="-fsanitize-link-c++-runtime -lphonenumber $(pkg-config --libs protobuf libpcre2-8) -lstdc++"

# The kinds table (providers/provider.c) reaches every kind's table row, and a
# row reaches its kind's driver, error catalogue, callback hooks (and the parsers
# and signature check they call) and simulator (which serves HTTP with
# libmicrohttpd and calls back with libcurl): a target that links one kind links
# them all, with these sources and libraries.
KINDS_SRC="src/providers/provider.c src/providers/errors.c src/providers/config_fields.c \
    src/core/errcodes.c src/providers/callback_types.c \
    src/providers/twilio/twilio.c src/providers/twilio/errors.c src/providers/twilio/signature.c \
    src/providers/twilio/callbacks.c src/providers/twilio/callback_hooks.c \
    src/providers/twilio/sim.c \
    src/providers/clickatell/clickatell.c src/providers/clickatell/errors.c \
    src/providers/clickatell/callbacks.c src/providers/clickatell/callback_hooks.c \
    src/providers/clickatell/sim.c src/providers/clickatell/sim_wire.c \
    src/sim/common.c src/sim/sender.c src/sim/webhook.c src/util/options.c src/util/http_client.c"
KINDS_LIBS="$(pkg-config --libs libmicrohttpd libcurl) $JSON_LIBS $SODIUM_LIBS $CRYPTO_LIBS -lpthread"

# The libphonenumber shim and its fast path are C++: compiled once per run (a few
# seconds) into one archive, linked into the targets that use it.
PHONE_OBJ="$OUT/obj/libsg_phone.a"
SHIM_BUILT=
build_shim() {
    if [ -z "$SHIM_BUILT" ]; then
        for f in phone_shim phone_fast; do
            echo "  CXX  src/core/$f.cc"
            $CXX $CXXFLAGS $PHONE_CFLAGS -c src/core/$f.cc -o "$OUT/obj/$f.o"
        done
        rm -f "$PHONE_OBJ"
        ar rcs "$PHONE_OBJ" "$OUT/obj/phone_shim.o" "$OUT/obj/phone_fast.o"
        SHIM_BUILT=1
    fi
}

# link NAME SOURCES... -- LIBS...
link() {
    name=$1
    shift
    srcs=
    while [ "$1" != "--" ]; do
        srcs="$srcs $1"
        shift
    done
    shift
    echo "  LINK $OUT/fuzz_$name"
    $CC $CFLAGS -o "$OUT/fuzz_$name" fuzz/fuzz_$name.c $srcs "$@"
}

build() {
    case $1 in
    form)
        link form src/util/form.c src/util/buf.c --
        ;;
    gsm7)
        link gsm7 src/core/gsm7.c src/util/utf8.c --
        ;;
    utf8)
        link utf8 src/util/utf8.c --
        ;;
    time)
        link time src/util/time.c --
        ;;
    phone)
        build_shim
        link phone "$PHONE_OBJ" -- $PHONE_LIBS
        ;;
    twilio_response)
        link twilio_response $KINDS_SRC src/util/time.c src/util/form.c src/util/buf.c \
            src/util/err.c src/util/log.c src/util/crypto.c src/util/utf8.c src/core/gsm7.c \
            src/core/status.c -- $KINDS_LIBS
        ;;
    json_message)
        # accept.c needs the provider-set lookups (registry.c) and sg_message_free
        # (store/rows.c); registry.c in turn pulls in the store (store.c reaches
        # the whole SQLite backend through its table), crypto and log code.
        # Nothing here opens a store: the driver builds the provider set itself.
        build_shim
        link json_message src/api/accept.c src/dispatch/registry.c \
            src/audience/render.c src/core/links.c src/core/template.c \
            src/store/*.c src/store/sqlite/*.c src/core/segment_filter.c src/core/signin.c \
            src/core/backoff.c src/core/template_id.c src/providers/common_options.c \
            $KINDS_SRC src/core/gsm7.c \
            src/core/status.c src/util/time.c src/util/id.c src/util/crypto.c \
            src/util/log.c src/util/metrics.c src/util/err.c src/util/buf.c src/util/form.c src/util/utf8.c "$PHONE_OBJ" -- \
            $KINDS_LIBS $SQLITE_LIBS $PHONE_LIBS
        ;;
    twilio_webhook)
        link twilio_webhook src/providers/twilio/callbacks.c src/providers/twilio/signature.c \
            src/util/form.c src/util/buf.c src/util/err.c src/util/crypto.c src/core/gsm7.c \
            src/core/status.c src/util/utf8.c -- $SODIUM_LIBS $CRYPTO_LIBS
        ;;
    clickatell)
        link clickatell $KINDS_SRC src/util/time.c src/util/form.c src/util/buf.c src/util/err.c \
            src/util/log.c src/util/crypto.c src/util/utf8.c src/core/gsm7.c src/core/status.c -- \
            $KINDS_LIBS
        ;;
    csv)
        link csv src/core/csv.c src/util/err.c src/util/utf8.c --
        ;;
    template)
        link template src/core/template.c src/util/buf.c src/util/err.c src/util/utf8.c --
        ;;
    links)
        link links src/core/links.c src/util/buf.c src/util/err.c --
        ;;
    segment_filter)
        link segment_filter src/core/segment_filter.c src/util/time.c src/util/buf.c src/util/err.c src/util/utf8.c --
        ;;
    tzif)
        link tzif src/util/tz.c src/util/time.c src/util/err.c -- -lpthread
        ;;
    prices)
        build_shim
        link prices src/core/prices.c src/core/csv.c src/util/err.c src/util/utf8.c "$PHONE_OBJ" -- \
            $PHONE_LIBS
        ;;
    cookie)
        link cookie src/core/signin.c src/util/crypto.c src/util/err.c -- $SODIUM_LIBS
        ;;
    twilio_compat)
        link twilio_compat src/compat/twilio_wire.c src/util/form.c src/util/buf.c src/util/id.c \
            src/util/time.c src/util/crypto.c src/util/err.c src/core/status.c -- \
            $JSON_LIBS $SODIUM_LIBS
        ;;
    clickatell_compat)
        link clickatell_compat src/compat/clickatell_wire.c src/compat/clickatell_sessions.c \
            $KINDS_SRC src/util/id.c \
            src/util/time.c src/util/form.c src/util/buf.c src/util/err.c src/util/log.c \
            src/util/crypto.c src/util/utf8.c src/core/gsm7.c src/core/status.c -- \
            $KINDS_LIBS $JSON_LIBS
        ;;
    *)
        echo "fuzz/build.sh: unknown target '$1'" >&2
        exit 2
        ;;
    esac
}

TARGETS=${*:-"form gsm7 utf8 time phone twilio_response json_message twilio_webhook clickatell csv template links segment_filter tzif cookie twilio_compat clickatell_compat prices"}
for t in $TARGETS; do
    build "$t"
done
