#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Proves engine/ cannot depend on DPDK's runtime:
#  1. no file under engine/ includes a DPDK header;
#  2. a probe that includes <rte_ethdev.h>, built with the engine's exact
#     dependency set, fails to compile for want of the header;
#  3. the same probe built with libdpdk compiles (positive control).
# usage: engine_isolation.sh SRC_ROOT BUILD_ROOT ENGINE_PROBE_OBJ DPDK_PROBE_OBJ
set -u
src=$1 build=$2 engine_probe=$3 dpdk_probe=$4
fail=0

# grep finds nothing in a directory that is not there: make sure it is.
if [ ! -f "$src/engine/meson.build" ]; then
	echo "FAIL: no engine/ under $src"
	exit 1
fi
hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](rte_|dpdk/)' "$src/engine" || true)
if [ -n "$hits" ]; then
	echo "FAIL: engine/ includes DPDK headers:"
	echo "$hits"
	fail=1
else
	echo "ok: no DPDK include under engine/"
fi

rel() { echo "${1#"$build"/}"; }

out=$(ninja -C "$build" "$(rel "$engine_probe")" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	echo "FAIL: a DPDK include compiled with the engine's dependencies"
	fail=1
elif echo "$out" | grep -q 'rte_ethdev.h: No such file'; then
	echo "ok: <rte_ethdev.h> is unreachable with the engine's dependencies"
else
	echo "FAIL: the engine probe failed for another reason:"
	echo "$out"
	fail=1
fi

if [ -n "$dpdk_probe" ]; then
	if out=$(ninja -C "$build" "$(rel "$dpdk_probe")" 2>&1); then
		echo "ok: the probe compiles with libdpdk (control)"
	else
		echo "FAIL: positive control did not compile:"
		echo "$out"
		fail=1
	fi
fi
exit $fail
