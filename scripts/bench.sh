#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench`: run the benchmark sections, one function each, and collect their results
# under bench-results/RUN/ (one JSON per section, merged into results.json). QUICK=1: short runs.
#
# usage: scripts/bench.sh [SECTION...]     (default: every section in SECTIONS)
# env:   BUILD (build dir), QUICK (1: short runs), BENCH_OUT (default bench-results)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
OUT=${BENCH_OUT:-bench-results}
RUN_ID=$(date +%Y%m%d-%H%M%S)
RUN_DIR=$OUT/$RUN_ID

is_quick() {
	case "${QUICK:-}" in
	"" | 0 | no | false) return 1 ;;
	*) return 0 ;;
	esac
}

# A section returns 0 (done), 77 (skipped: print why first) or anything else (failed).
# It writes its files as $RUN_DIR/NAME.* and its JSON as $RUN_DIR/NAME.json.
SKIP=77

skip() {
	echo "bench: skipped: $*"
	return $SKIP
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "$1 needs root (BPF, namespaces, AF_XDP)"
}

# ---- sections --------------------------------------------------------------------------

# Steering cost vs number of rules, under BPF_PROG_RUN (issue 3): no lab, no traffic.
section_steer_cost() {
	local bin=$BUILD/bench/steer_cost
	local args=(--json "$RUN_DIR/steer_cost.json")

	[ -x "$bin" ] || skip "steer_cost: $bin is not built" || return
	need_root steer_cost || return
	is_quick && args+=(--quick)
	"$bin" "${args[@]}" | tee "$RUN_DIR/steer_cost.txt"
	jq -e .target "$RUN_DIR/steer_cost.json" >/dev/null
}

# New sections (AF_XDP throughput: rxdrop, txonly, l2fwd, latency, size sweep, ...) go
# here as section_NAME functions, and their NAME into SECTIONS below, in running order.

SECTIONS=(steer_cost)

# ---- driver ----------------------------------------------------------------------------

machine_json() {
	local quick=false cpu commit

	is_quick && quick=true
	cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p')
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	jq -n --arg run "$RUN_ID" --argjson quick "$quick" --arg commit "$commit" \
		--arg kernel "$(uname -r)" --arg cpu "$cpu" --argjson cpus "$(nproc)" \
		'{run: $run, quick: $quick, commit: $commit, kernel: $kernel, cpu_model: $cpu,
		  cpus: $cpus}'
}

main() {
	local sections=("$@") name rc failed=() skipped=() finished=() merge=()

	[ ${#sections[@]} -gt 0 ] || sections=("${SECTIONS[@]}")
	for name in "${sections[@]}"; do
		declare -F "section_$name" >/dev/null || {
			echo "bench: no section '$name' (have: ${SECTIONS[*]})" >&2
			exit 1
		}
	done
	mkdir -p "$RUN_DIR"
	ln -sfn "$RUN_ID" "$OUT/latest"
	machine_json >"$RUN_DIR/machine.json"
	echo "bench: run $RUN_ID$(is_quick && echo ' (quick)'), results in $RUN_DIR"

	for name in "${sections[@]}"; do
		echo
		echo "==== $name"
		# A subshell outside any || list, so that set -e stops the section at its first
		# failing command (and a section cannot change the driver's variables).
		set +e
		(set -e; "section_$name")
		rc=$?
		set -e
		case $rc in
		0) finished+=("$name") ;;
		"$SKIP") skipped+=("$name") ;;
		*)
			echo "bench: section $name failed (status $rc)" >&2
			failed+=("$name")
			;;
		esac
	done

	# results.json: {machine: ..., SECTION: its JSON, ...} for the sections that finished.
	merge=(--slurpfile machine "$RUN_DIR/machine.json")
	for name in "${finished[@]}"; do
		[ -f "$RUN_DIR/$name.json" ] && merge+=(--slurpfile "$name" "$RUN_DIR/$name.json")
	done
	jq -n "${merge[@]}" '$ARGS.named | map_values(.[0])' >"$RUN_DIR/results.json"

	echo
	echo "bench: done: ${finished[*]:-none}; skipped: ${skipped[*]:-none};" \
		"failed: ${failed[*]:-none}"
	echo "bench: results in $RUN_DIR (also $OUT/latest)"
	[ ${#failed[@]} -eq 0 ]
}

main "$@"
