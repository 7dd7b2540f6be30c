#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Bounded libFuzzer run of every harness in tests/fuzz (CI runs it from .ci/run).
#
# usage: tests/fuzz/run_libfuzzer.sh [-t SECONDS] [-j JOBS] [-b BUILD_DIR] [HARNESS...]
#   -t  seconds per harness (default $FUZZ_SECONDS or 30)
#   -j  harnesses run at once (default $FUZZ_JOBS or 1); each uses one core
#   -b  clang build dir (default $FUZZ_BUILD_DIR or <source>/build-libfuzzer)
#   HARNESS  e.g. fuzz_bfd; default: every tests/fuzz/fuzz_*.c
#
# Configures the build dir with clang (once; later runs rebuild it
# incrementally), builds the *_libfuzzer targets (tests/fuzz/meson.build adds
# -fsanitize=fuzzer,address,undefined to them, so the build itself uses
# -Db_sanitize=none), and runs each for SECONDS on a copy of its seed corpus
# tests/fuzz/corpus/<harness without fuzz_> (with tests/fuzz/<harness>.dict as
# libFuzzer's dictionary when there is one), in a temporary directory: the
# source tree is never written to. Prints one line per harness (executions,
# coverage, result) and exits non-zero if any harness crashed, leaked, timed
# out or failed an oracle; the log and the reproducer are kept and named.
#
# DPDK is optional (-Ddpdk=auto): only fuzz_config (the INI loader, which
# links rte_cfgfile but needs no EAL) wants it. Without libdpdk that harness
# is listed as skipped, unless it was named on the command line. Only the
# *_libfuzzer targets and what they link are built, never the app.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-1}
build=${FUZZ_BUILD_DIR:-$src/build-libfuzzer}

while getopts t:j:b: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	b) build=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [-j JOBS] [-b BUILD_DIR] [HARNESS...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $secs in
'' | *[!0-9]*) echo "run_libfuzzer: -t wants whole seconds, got '$secs'" >&2; exit 2 ;;
esac
case $jobs in
'' | 0 | *[!0-9]*) echo "run_libfuzzer: -j wants a positive count, got '$jobs'" >&2; exit 2 ;;
esac

if [ $# -gt 0 ]; then
	harnesses=$*
else
	harnesses=
	for f in "$src"/tests/fuzz/fuzz_*.c; do
		f=${f##*/}
		harnesses="$harnesses ${f%.c}"
	done
fi

if ! command -v clang >/dev/null 2>&1; then
	echo "run_libfuzzer: clang not found (libFuzzer needs it)" >&2
	exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$src" -Db_sanitize=none -Ddpdk=auto \
		-Dbuildtype=debugoptimized >"$build.setup.log" 2>&1 || {
		cat "$build.setup.log" >&2
		echo "run_libfuzzer: meson setup of $build failed" >&2
		exit 1
	}
	rm -f "$build.setup.log"
fi

has_target() {
	grep -q "^build tests/fuzz/$1_libfuzzer:" "$build/build.ninja"
}

# A build dir set up by an older version of this script has DPDK off:
# turn it on if this machine has libdpdk, so fuzz_config gets its target.
if ! grep -q '^build apps/tether-pmd/tether-pmd:' "$build/build.ninja" &&
	pkg-config --exists libdpdk 2>/dev/null; then
	meson configure "$build" -Ddpdk=auto >/dev/null
	ninja -C "$build" build.ninja >/dev/null
fi

# Harnesses that need DPDK, skipped (when not asked for by name) without it.
needs_dpdk=" fuzz_config "
skipped=
if [ $# -eq 0 ]; then
	kept=
	for h in $harnesses; do
		if ! has_target "$h" && [ "${needs_dpdk#* "$h" }" != "$needs_dpdk" ]; then
			skipped="$skipped $h"
		else
			kept="$kept $h"
		fi
	done
	harnesses=$kept
fi

# tests/fuzz/meson.build defines the *_libfuzzer targets only under clang
# (and fuzz_config only with DPDK).
targets=
for h in $harnesses; do
	if ! has_target "$h"; then
		echo "run_libfuzzer: no target ${h}_libfuzzer in $build" \
			"(not a clang build dir, no DPDK for it, or no such harness)" >&2
		exit 1
	fi
	targets="$targets tests/fuzz/${h}_libfuzzer"
done
# shellcheck disable=SC2086
ninja -C "$build" $targets

work=$(mktemp -d "${TMPDIR:-/tmp}/tether-libfuzzer.XXXXXX")

# Fuzz one harness in $work/<harness>; leaves its exit code in rc.
run_one() {
	h=$1
	dir=$work/$h
	mkdir -p "$dir/corpus"
	corpus=$src/tests/fuzz/corpus/${h#fuzz_}
	if [ -d "$corpus" ]; then
		cp "$corpus"/* "$dir/corpus/" 2>/dev/null || true
	fi
	# A harness may have a dictionary: tests/fuzz/<harness>.dict.
	dict=
	if [ -f "$src/tests/fuzz/$h.dict" ]; then
		dict=-dict=$src/tests/fuzz/$h.dict
	fi
	rc=0
	# shellcheck disable=SC2086
	"$build/tests/fuzz/${h}_libfuzzer" -max_total_time="$secs" -timeout=20 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" $dict \
		"$dir/corpus" >"$dir/log" 2>&1 || rc=$?
	echo $rc >"$dir/rc"
}

# Batches of $jobs harnesses in parallel.
n=0
for h in $harnesses; do
	run_one "$h" &
	n=$((n + 1))
	if [ $n -ge "$jobs" ]; then
		wait
		n=0
	fi
done
wait

status=0
printf '%-18s %12s %8s  %s\n' harness executions cov result
for h in $harnesses; do
	dir=$work/$h
	rc=$(cat "$dir/rc" 2>/dev/null || echo '?')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -n 1 | sed 's/cov: //')
	if [ "$rc" = 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc)"
		status=1
	fi
	printf '%-18s %12s %8s  %s\n' "$h" "${execs:-?}" "${cov:-?}" "$result"
	if [ "$rc" != 0 ]; then
		echo "---- $h: what failed ($dir/log)" >&2
		grep -E 'invariant failed|oracle failed|  step:|runtime error|ERROR: |SUMMARY' \
			"$dir/log" | head -n 20 >&2 || true
		echo "---- $h: last lines of the log" >&2
		tail -n 20 "$dir/log" >&2
		for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
			if [ -e "$a" ]; then
				echo "reproduce: $build/tests/fuzz/${h}_libfuzzer $a" >&2
			fi
		done
	fi
done

for h in $skipped; do
	printf '%-18s %12s %8s  %s\n' "$h" - - "skipped (no libdpdk in $build)"
done

if [ $status -eq 0 ]; then
	rm -rf "$work"
else
	echo "run_libfuzzer: failures; logs and inputs kept in $work" >&2
fi
exit $status
