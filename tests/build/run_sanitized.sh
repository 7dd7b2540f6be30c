#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The unit and sim suites under AddressSanitizer + UndefinedBehaviorSanitizer
# (CI runs it from .ci/run).
#
# usage: tests/build/run_sanitized.sh [-b BUILD_DIR] [-s SIM_SEEDS]
#   -b  build dir (default <source>/build-sanitize)
#   -s  sim_seeds for this build (default: the project's)
#
# The two suites need no DPDK, so the build has none. Tests that cannot run
# under ASan (valgrind, ThreadSanitizer) are not defined in such a build
# (tests/unit/meson.build). Any sanitizer report fails the run.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build-sanitize
seeds=

while getopts b:s: opt; do
	case $opt in
	b) build=$OPTARG ;;
	s) seeds=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD_DIR] [-s SIM_SEEDS]" >&2; exit 2 ;;
	esac
done

set -- -Db_sanitize=address,undefined -Db_lundef=false -Ddpdk=disabled
[ -n "$seeds" ] && set -- "$@" "-Dsim_seeds=$seeds"
if [ -f "$build/build.ninja" ]; then
	meson configure "$build" "$@" >/dev/null
else
	meson setup "$build" "$src" "$@" >/dev/null
fi

UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
ASAN_OPTIONS=detect_leaks=1 \
	meson test -C "$build" --print-errorlogs --timeout-multiplier 3 --suite unit --suite sim
