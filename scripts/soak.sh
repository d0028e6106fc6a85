#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Soak test (make soak; minutes, not in CI): xskflowd reflecting UDP and forwarding another
# UDP stream out of a second veth pair for SOAK_SECONDS while its rule set is reloaded every
# few seconds; at the end every echo must have come back, every forwarded datagram must
# have reached the far end exactly once, every frame must be accounted for, and fds, RSS
# and BPF objects must be flat.
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
	lab_up -p
	reflect_conf d
	reflect_conf d2
	echo "[rule extra]" >>"$T_DIR/d2.conf"
	printf 'interface = %s\nmatch = udp dport 5000-5999\naction = drop\n' "$IF_A" >>"$T_DIR/d2.conf"
	# Forwarding next to the echoes: UDP to 4260 leaves out of the second pair, unchanged,
	# from the frame it came in; a raw socket on b's end of that pair counts it.
	local c
	for c in d d2; do
		printf '[handler fwd]\ntype = forward\ninterface = %s\n' "$IF_A2" >>"$T_DIR/$c.conf"
		printf '[rule fwd]\ninterface = %s\nmatch = udp dport 4260\nhandler = fwd\n' \
			"$IF_A" >>"$T_DIR/$c.conf"
	done
	cp "$T_DIR/d.conf" "$T_DIR/a.conf"
	start_daemon a
	raw_sink "$IF_B2" "$T_DIR/fwd" &
	local sink=$!
	wait_for "$T_DIR/fwd.ready" ready
	sleep 2
	local fd0 rss0 bpf0 end=$((SECONDS + SOAK_SECONDS)) n=0 sent=0 r ok=0 bad=0 lost=0
	local fsent=0 fpid
	fd0=$(fds) rss0=$(rss) bpf0=$(bpf_objects)
	echo "soak: ${SOAK_SECONDS}s; start: fds $fd0, rss ${rss0} KiB, bpf objects $bpf0"
	while [ $SECONDS -lt $end ]; do
		# Alternate the two rule sets under the running daemon.
		if [ $((n % 2)) = 0 ]; then cp "$T_DIR/d2.conf" "$T_DIR/a.conf"; else cp "$T_DIR/d.conf" "$T_DIR/a.conf"; fi
		chmod 600 "$T_DIR/a.conf"
		kill -HUP "$DPID"
		send_seq_udp 4260 $((fsent + 1)) $((fsent + 300)) 1000 &
		fpid=$!
		r=$(echo_client "$IP4_A" 4242 500)
		wait "$fpid" || fail "the forward stream's sender failed"
		fsent=$((fsent + 300))
		set -- $r
		ok=$((ok + $1)) bad=$((bad + $2)) lost=$((lost + $3)) sent=$((sent + 500))
		n=$((n + 1))
	done
	touch "$T_DIR/fwd.go"
	wait "$sink"
	wait_stat '.interfaces[0].queues[0].forward[0].tx_completed' "$fsent"
	ctl stats >"$T_DIR/stats.json" || fail "ctl stats failed"
	# The far end: the "S<seq>" of every UDP payload forwarded (payload after 42 bytes).
	local fgot fdistinct
	fgot=$(wc -l <"$T_DIR/fwd")
	fdistinct=$(python3 -c '
import sys
seqs = set()
for line in open(sys.argv[1]):
    seqs.add(bytes.fromhex(line.strip())[42:].split()[0])
print(len(seqs))' "$T_DIR/fwd")
	echo "soak: $n reloads, $sent echoes: ok $ok bad $bad lost $lost"
	echo "soak: forward: sent $fsent, handler forwarded" \
		"$(jq '.handlers[] | select(.name == "fwd") | .forwarded' "$T_DIR/stats.json")," \
		"dropped $(jq '.handlers[] | select(.name == "fwd") | .dropped' "$T_DIR/stats.json")," \
		"completed $(jq '.interfaces[0].queues[0].forward[0].tx_completed' "$T_DIR/stats.json")," \
		"received at the far end $fgot ($fdistinct distinct)"
	echo "soak: end: fds $(fds), rss $(rss) KiB, bpf objects $(bpf_objects)"
	echo "soak: frames: $(jq -c '.interfaces[0].queues[0].frames' "$T_DIR/stats.json")"
	[ "$bad" = 0 ] && [ "$lost" = 0 ] || fail "echoes went missing or came back wrong"
	[ "$fgot" = "$fsent" ] && [ "$fdistinct" = "$fsent" ] ||
		fail "forward: $fsent sent, $fgot received at the far end ($fdistinct distinct)"
	[ "$(jq '.handlers[] | select(.name == "fwd") | .forwarded' "$T_DIR/stats.json")" = "$fsent" ] ||
		fail "forward: the handler's count is not the $fsent sent"
	[ "$(jq '.interfaces[0].queues[0].frames | .free + .fill + .app + .tx == .total' \
		"$T_DIR/stats.json")" = true ] || fail "frames do not add up"
	[ "$(fds)" = "$fd0" ] || fail "file descriptors grew from $fd0 to $(fds)"
	[ "$(bpf_objects)" = "$bpf0" ] || fail "BPF objects went from $bpf0 to $(bpf_objects)"
	[ $(($(rss) - rss0)) -lt 8192 ] || fail "RSS grew from $rss0 to $(rss) KiB"
	stop_daemon a
	echo "soak: passed"
}

( soak )
