#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The one test runner: cmocka unit and BPF_PROG_RUN binaries (TAP), then end-to-end shell
# tests on veth labs. Usage: tests/run.sh [PATTERN]  (runs tests whose name contains PATTERN)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD XF=$PWD/$BUILD/xskflow
FILTER=${1:-}
PASS=0 FAIL=0 SKIP=0
FAILED=()
LOGDIR=$(mktemp -d /tmp/xskflow-tests.XXXXXX)

if [ "$(id -u)" -ne 0 ]; then
	echo "tests need root (BPF, namespaces, AF_XDP); run 'sudo make check'" >&2
	exit 1
fi

result() { # name status(pass|fail|skip) [detail]
	case $2 in
	pass) PASS=$((PASS + 1)); printf 'PASS  %s\n' "$1" ;;
	skip) SKIP=$((SKIP + 1)); printf 'SKIP  %s%s\n' "$1" "${3:+: $3}" ;;
	*) FAIL=$((FAIL + 1)); FAILED+=("$1"); printf 'FAIL  %s%s\n' "$1" "${3:+: $3}" ;;
	esac
}

# Every lab a test creates is recorded here; only those are checked at the end (other runs
# may have labs of their own at the same time).
export XF_LAB_LOG=$LOGDIR/labs
: >"$XF_LAB_LOG"

# --- C tests: cmocka in TAP mode, one result per test case ---
for bin in "$BUILD"/tests/test_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	log="$LOGDIR/$name.log"
	CMOCKA_MESSAGE_OUTPUT=TAP "$bin" >"$log" 2>&1
	rc=$?
	seen=0
	while IFS= read -r line; do
		case $line in
		"ok "*|"not ok "*)
			# "ok 3 - name", "not ok 4 - name", "not ok 5 # SKIP name"
			tname=${line#*ok }
			tname=${tname#* }
			tname=${tname#- }
			tname=${tname#\# SKIP }
			tname="$name/${tname%% #*}"
			[ -n "$FILTER" ] && [[ $tname != *"$FILTER"* ]] && continue
			seen=1
			if [[ $line == *"# SKIP"* ]]; then
				result "$tname" skip
			elif [[ $line == "not ok"* ]]; then
				result "$tname" fail "see $log"
			else
				result "$tname" pass
			fi
			;;
		esac
	done <"$log"
	if [ $seen -eq 0 ] && { [ -z "$FILTER" ] || [[ $name == *"$FILTER"* ]]; }; then
		result "$name" fail "no results (exit $rc), see $log"
	elif [ $rc -ne 0 ] && ! grep -q '^not ok' "$log" && [ -z "$FILTER" ]; then
		result "$name/exit" fail "exit status $rc, see $log"
	fi
done

# --- fuzz corpora (and committed crash reproducers) replayed through each target ---
for bin in "$BUILD"/tests/replay_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/replay_}
	[ -n "$FILTER" ] && [[ fuzz/$name != *"$FILTER"* ]] && continue
	inputs=(tests/fuzz/corpus/"$name")
	for c in tests/fuzz/crashes/"$name"-*; do [ -e "$c" ] && inputs+=("$c"); done
	if "$bin" "${inputs[@]}" >"$LOGDIR/replay_$name.log" 2>&1; then
		result "fuzz/$name" pass
	else
		result "fuzz/$name" fail "see $LOGDIR/replay_$name.log"
	fi
done

# --- end-to-end tests: functions named test_* in tests/e2e/*.sh ---
. tests/lib.sh
for f in tests/e2e/*.sh; do
	. "$f"
done
for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
	[ -n "$FILTER" ] && [[ $t != *"$FILTER"* ]] && continue
	log="$LOGDIR/$t.log"
	start=$SECONDS
	( set -u; T_LOG=$log; "$t" ) >"$log" 2>&1
	rc=$?
	echo "$((SECONDS - start)) $t" >>"$LOGDIR/durations"
	case $rc in
	0) result "$t" pass ;;
	77) result "$t" skip "$(tail -n 1 "$log")" ;;
	*) result "$t" fail "$(grep -m1 '^FAIL:' "$log" | cut -c7-) (log: $log)" ;;
	esac
done

# Nothing may outlive the suite.
left=""
while read -r id; do
	for ns in "xf-$id-a" "xf-$id-b"; do
		ip netns list | grep -qw "$ns" && left="$left $ns"
	done
done <"$XF_LAB_LOG"
if [ -n "$left" ]; then
	result "cleanup/namespaces" fail "left behind:$left"
	for ns in $left; do ip netns del "$ns"; done
fi

[ -s "$LOGDIR/durations" ] && echo "slowest: $(sort -rn "$LOGDIR/durations" | head -n 5 |
	awk '{printf "%s %ss  ", $2, $1}')"
[ ${#FAILED[@]} -gt 0 ] && printf 'failed: %s\n' "${FAILED[*]}"
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]
