#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Soak test (make soak; minutes, not in CI): xskflowd reflecting UDP for SOAK_SECONDS while
# its rule set is reloaded every few seconds; at the end every echo must have come back,
# every frame must be accounted for, and fds, RSS and BPF objects must be flat.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD XF=$PWD/$BUILD/xskflow
SOAK_SECONDS=${SOAK_SECONDS:-300}
. tests/lib.sh
. tests/e2e/daemon.sh

# The daemon's BPF objects, not the machine's (other tests load and unload programs at the
# same time): programs and maps behind its fds, the program on IF_A and its maps, and the
# lab's pins. An object it leaked would be held by one of these, or freed.
bpf_objects() {
	local prog ids pins
	prog=$(in_a ip -j link show dev "$IF_A" | jq '.[0].xdp.prog.id // empty')
	ids=$({
		cat /proc/"$DPID"/fdinfo/* 2>/dev/null | awk '/^(prog|map)_id:/ {print $1 $2}'
		[ -n "$prog" ] && echo "prog_id:$prog" &&
			bpftool prog show id "$prog" -j | jq -r '.map_ids[]? | "map_id:\(.)"'
	} | sort -u | wc -l)
	pins=$(find "/run/xskflow-lab/$LAB_ID" -mindepth 1 | wc -l)
	echo "$((ids + pins))"
}
fds() { ls "/proc/$DPID/fd" | wc -l; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status"; }

soak() {
	lab_up
	reflect_conf d
	reflect_conf d2
	echo "[rule extra]" >>"$T_DIR/d2.conf"
	printf 'interface = %s\nmatch = udp dport 5000-5999\naction = drop\n' "$IF_A" >>"$T_DIR/d2.conf"
	# ---- FORWARD HANDLER GOES HERE ----
	# When xskflowd has a 'forward' handler: add a [handler fwd] (type = forward) and a
	# [rule fwd] for another port to d.conf and d2.conf, and in the loop below push a
	# counted stream through it next to the echoes (received count == sent, both sets).
	# Until then this soak reflects only.
	cp "$T_DIR/d.conf" "$T_DIR/a.conf"
	start_daemon a
	sleep 2
	local fd0 rss0 bpf0 end=$((SECONDS + SOAK_SECONDS)) n=0 sent=0 r ok=0 bad=0 lost=0
	fd0=$(fds) rss0=$(rss) bpf0=$(bpf_objects)
	echo "soak: ${SOAK_SECONDS}s; start: fds $fd0, rss ${rss0} KiB, bpf objects $bpf0"
	while [ $SECONDS -lt $end ]; do
		# Alternate the two rule sets under the running daemon.
		if [ $((n % 2)) = 0 ]; then cp "$T_DIR/d2.conf" "$T_DIR/a.conf"; else cp "$T_DIR/d.conf" "$T_DIR/a.conf"; fi
		chmod 600 "$T_DIR/a.conf"
		kill -HUP "$DPID"
		r=$(echo_client "$IP4_A" 4242 500)
		set -- $r
		ok=$((ok + $1)) bad=$((bad + $2)) lost=$((lost + $3)) sent=$((sent + 500))
		n=$((n + 1))
	done
	ctl stats >"$T_DIR/stats.json" || fail "ctl stats failed"
	echo "soak: $n reloads, $sent echoes: ok $ok bad $bad lost $lost"
	echo "soak: end: fds $(fds), rss $(rss) KiB, bpf objects $(bpf_objects)"
	echo "soak: frames: $(jq -c '.interfaces[0].queues[0].frames' "$T_DIR/stats.json")"
	[ "$bad" = 0 ] && [ "$lost" = 0 ] || fail "echoes went missing or came back wrong"
	[ "$(jq '.interfaces[0].queues[0].frames | .free + .fill + .app + .tx == .total' \
		"$T_DIR/stats.json")" = true ] || fail "frames do not add up"
	[ "$(fds)" = "$fd0" ] || fail "file descriptors grew from $fd0 to $(fds)"
	[ "$(bpf_objects)" = "$bpf0" ] || fail "BPF objects went from $bpf0 to $(bpf_objects)"
	[ $(($(rss) - rss0)) -lt 8192 ] || fail "RSS grew from $rss0 to $(rss) KiB"
	stop_daemon a
	echo "soak: passed"
}

( soak )
