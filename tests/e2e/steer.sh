# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End-to-end tests of persistent steering: attach/detach, rule add/del/list/replace, stats,
# recv joining an attached program, and rule-set swaps under live traffic.

# udp_to PORT COUNT [send args]: test frames from b to a's PORT.
udp_to() {
	local port=$1 n=$2
	shift 2
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port "$port" -n "$n" "$@" >/dev/null || fail "send to port $port failed"
}

rule_packets() { # FILE ID
	jq -r --argjson id "$2" '.rules[] | select(.id == $id) | .packets' "$1"
}

test_steer_attach_rules_stats_detach() {
	lab_up
	in_a "$XF" attach -i "$IF_A" -r "udp dport 4242" --json >"$T_DIR/a.json" ||
		fail "attach failed"
	expect "attach mode" "$(jget "$T_DIR/a.json" .attach_mode)" native
	in_a test -e "/sys/fs/bpf/xskflow/$IF_A/xf_rules" || fail "maps not pinned"
	expect "rule add" "$(in_a "$XF" rule add -i "$IF_A" udp dport 5000 drop)" "rule 1 added"
	expect "rule add json" "$(in_a "$XF" rule add -i "$IF_A" --json prio 5 tcp dport 22 pass)" '{"id":2}'
	in_a "$XF" rule list -i "$IF_A" --json >"$T_DIR/l.json"
	expect "rules listed" "$(jq length "$T_DIR/l.json")" 3
	expect "rule 2 text" "$(jq -r '.[2].rule' "$T_DIR/l.json")" "prio 5 tcp dport 22 pass"

	udp_to 4242 100
	udp_to 5000 50 -s 100
	in_a "$XF" stats -i "$IF_A" --json >"$T_DIR/s.json"
	expect "rule 0 hits (no socket: passed)" "$(rule_packets "$T_DIR/s.json" 0)" 100
	expect "rule 1 hits" "$(rule_packets "$T_DIR/s.json" 1)" 50
	expect "rule 1 bytes" "$(jq -r '.rules[] | select(.id == 1) | .bytes' "$T_DIR/s.json")" 5000
	expect "dropped" "$(jget "$T_DIR/s.json" .steering.drop)" 50
	expect "xsk without socket" "$(jget "$T_DIR/s.json" .steering.xsk_nosock)" 100

	in_a "$XF" rule del -i "$IF_A" 1 || fail "rule del failed"
	udp_to 5000 10
	in_a "$XF" stats -i "$IF_A" --json >"$T_DIR/s2.json"
	expect "dropped after delete" "$(jget "$T_DIR/s2.json" .steering.drop)" 50
	expect "rules left" "$(jq '.rules | length' "$T_DIR/s2.json")" 2
	# The freed id is reused, with fresh counters.
	expect "id reuse" "$(in_a "$XF" rule add -i "$IF_A" udp dport 6000)" "rule 1 added"
	in_a "$XF" stats -i "$IF_A" --json >"$T_DIR/s3.json"
	expect "reused id counts from zero" "$(rule_packets "$T_DIR/s3.json" 1)" 0

	in_a "$XF" detach -i "$IF_A" || fail "detach failed"
	no_xdp "$NS_A" "$IF_A"
	in_a test -e "/sys/fs/bpf/xskflow/$IF_A" && fail "pins left after detach"
	echo "ok: pins removed"
}

test_steer_recv_joins_attached_program() {
	lab_up
	in_a "$XF" attach -i "$IF_A" -r "udp dport 4242" -r "udp dport 4343" >/dev/null || fail "attach failed"
	local out
	out=$(in_a "$XF" recv -i "$IF_A" -r "udp dport 1" -t 1 2>&1) && fail "recv -r on an attached program succeeded"
	expect_match "refusal" "$out" "rules are managed with 'xskflow rule'"
	start_recv r -i "$IF_A" -n 300 -t 30 --verify --json
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4343 -n 300 -s 64-1500 >/dev/null || fail "send failed"
	wait "$RECV_PID" || fail "recv failed: $(cat "$T_DIR/r.err")"
	expect "joined" "$(jget "$T_DIR/r.json" .joined)" true
	expect "verify ok" "$(jget "$T_DIR/r.json" .verify.ok)" 300
	expect "rule 1 counter in recv report" "$(rule_packets "$T_DIR/r.json" 1)" 300
	ip -n "$NS_A" -d link show "$IF_A" | grep -q prog/xdp || fail "recv detached a persistent program"
	echo "ok: still attached after recv"
	in_a "$XF" detach -i "$IF_A"
	no_xdp "$NS_A" "$IF_A"
}

test_steer_rule_errors() {
	lab_up
	local out
	out=$(in_a "$XF" rule list -i "$IF_A" 2>&1) && fail "rule list without a program succeeded"
	expect_match "no program" "$out" "has no persistent xskflow steering program; attach one"
	in_a "$XF" attach -i "$IF_A" >/dev/null || fail "attach failed"
	out=$(in_a "$XF" attach -i "$IF_A" 2>&1) && fail "second attach succeeded"
	expect_match "second attach" "$out" "already has the xskflow steering program attached persistently"
	out=$(in_a "$XF" rule add -i "$IF_A" udp dport 70000 2>&1) && fail "bad rule accepted"
	expect_match "bad rule" "$out" "at 'dport': '70000'"
	out=$(in_a "$XF" rule add -i "$IF_A" 2>&1) && fail "empty rule accepted"
	expect_match "empty" "$out" "give the rule"
	out=$(in_a "$XF" rule del -i "$IF_A" 7 2>&1) && fail "deleting a missing rule succeeded"
	expect_match "missing id" "$out" "no rule with id 7"
	out=$(in_a "$XF" rule frob -i "$IF_A" 2>&1) && fail "unknown verb accepted"
	expect_match "verb" "$out" "unknown verb 'frob'"
	printf '# web\ntcp dport 80 pass\n\nudp dport 53 drop\nudp sport 5-1 xsk\n' >"$T_DIR/rules"
	out=$(in_a "$XF" rule replace -i "$IF_A" -f "$T_DIR/rules" 2>&1) && fail "bad rule file accepted"
	expect_match "file:line" "$out" "$T_DIR/rules:5: rule 'udp sport 5-1 xsk': at 'sport'.*upside down"
	sed -i '$d' "$T_DIR/rules"
	in_a "$XF" rule replace -i "$IF_A" -f "$T_DIR/rules" || fail "good rule file refused"
	expect "rules from file" "$(in_a "$XF" rule list -i "$IF_A" --json | jq -c '[.[].rule]')" \
		'["tcp dport 80 pass","udp dport 53 drop"]'
	in_a "$XF" detach -i "$IF_A"
	no_xdp "$NS_A" "$IF_A"
}

# Swap between two rule sets while traffic runs: port 4242 is steered by both, port 5001
# dropped by both, port 5555 passed by both. Any packet classified by a half-installed set
# would show up as a missing or extra packet somewhere.
test_steer_live_swap_no_misclassification() {
	# One sender per queue: an AF_XDP queue takes one socket.
	lab_up -q 3
	local i
	{
		echo "udp dport 4242 xsk"
		echo "udp dport 5001 drop"
	} >"$T_DIR/A"
	{
		for i in $(seq 1 150); do echo "prio 50 udp dport $((20000 + i)) drop"; done
		for i in $(seq 1 50); do echo "src 198.19.$i.0/24 tcp dport $i pass"; done
		echo "prio 7 udp dport 4000-4999 xsk"
		echo "prio 8 udp dport 5001 drop"
		echo "prio 9 udp dport 5555 pass"
		echo "ip6 udp dport 4242 drop"
	} >"$T_DIR/B"
	in_a "$XF" attach -i "$IF_A" -f "$T_DIR/A" >/dev/null || fail "attach failed"
	udp_counter 5555 4
	local upid=$UDP_PID
	start_recv r -i "$IF_A" -n 20000 -t 60 --verify --json --frame-size 2048 --frames 32768 \
		--ring-size 32768
	(
		n=0
		while [ ! -e "$T_DIR/stop" ]; do
			in_a "$XF" rule replace -i "$IF_A" -f "$T_DIR/B" || exit 1
			in_a "$XF" rule replace -i "$IF_A" -f "$T_DIR/A" || exit 1
			n=$((n + 2))
		done
		echo "$n" >"$T_DIR/swaps"
	) &
	local spid=$!
	# About four seconds of traffic on each flow, so that swaps land inside it even on a
	# slow machine (a swap is two 'xskflow rule replace' processes).
	udp_to 5001 3000 --rate 750 -q 1 &
	local d=$!
	udp_to 5555 3000 --rate 750 -s 80 -q 2 &
	local k=$!
	udp_to 4242 20000 -s 64-1500 --rate 5000
	wait "$d" "$k"
	touch "$T_DIR/stop"
	wait "$spid" || fail "a rule replace failed during traffic"
	wait "$RECV_PID" || fail "recv failed: $(cat "$T_DIR/r.err")"
	wait "$upid"
	echo "swaps: $(cat "$T_DIR/swaps")"
	[ "$(cat "$T_DIR/swaps")" -ge 4 ] || fail "only $(cat "$T_DIR/swaps") swaps happened"
	expect "steered, byte-exact, in order" "$(jget "$T_DIR/r.json" .verify.ok)" 20000
	expect "missing" "$(jget "$T_DIR/r.json" .verify.missing)" 0
	expect "kernel got every pass packet" "$(cat "$T_DIR/udp.count")" 3000
	in_a "$XF" stats -i "$IF_A" --json >"$T_DIR/s.json"
	expect "dropped exactly the 5001 flow" "$(jget "$T_DIR/s.json" .steering.drop)" 3000
	expect "nothing hit xsk without a socket" "$(jget "$T_DIR/s.json" .steering.xsk_nosock)" 0
	in_a "$XF" detach -i "$IF_A"
	no_xdp "$NS_A" "$IF_A"
}
