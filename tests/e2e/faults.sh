# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fault injection on veth labs. Each fault has a documented outcome: recover and keep every
# frame, or stop loudly with one line that says why — and in every case leave nothing behind
# (no XDP program, no pins, no process).

pins_gone() {
	in_a test -e "/sys/fs/bpf/xskflow/$1" && fail "pins left under /sys/fs/bpf/xskflow/$1"
	echo "ok: no pins for $1"
}

# Deleting the interface under a running receiver: it stops within seconds with a clear
# error, and cleans up its pins.
test_fault_interface_deleted_while_receiving() {
	lab_up
	start_recv r -i "$IF_A" -t 60 --json
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4242 -n 100 >/dev/null || fail "send failed"
	ip -n "$NS_A" link del "$IF_A"
	local i
	for i in $(seq 50); do kill -0 "$RECV_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$RECV_PID" 2>/dev/null && fail "recv still runs 5 s after its interface went away"
	wait "$RECV_PID" && fail "recv exited 0 after losing its interface"
	expect "one error line" "$(grep -c '' "$T_DIR/r.err")" 2
	expect_match "error" "$(tail -n 1 "$T_DIR/r.err")" "(went away|is gone)"
	pins_gone "$IF_A"
}

# Link down and up under traffic: the program and socket stay; traffic before and after is
# received in full and in order.
test_fault_link_down_up() {
	lab_up
	start_recv r -i "$IF_A" -n 400 -t 30 --verify --json
	local common=(--dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" --dst-port 4242 -s 64-1500)
	in_b "$XF" send -i "$IF_B" "${common[@]}" -n 200 >/dev/null || fail "send 1 failed"
	ip -n "$NS_A" link set "$IF_A" down
	ip -n "$NS_A" link set "$IF_A" up
	# veth needs both ends up before it carries traffic again.
	local i
	for i in $(seq 50); do
		ip -n "$NS_B" link show "$IF_B" | grep -q 'LOWER_UP' && break
		sleep 0.1
	done
	in_b "$XF" send -i "$IF_B" "${common[@]}" -n 200 --first-seq 200 >/dev/null ||
		fail "send 2 failed"
	wait "$RECV_PID" || fail "recv failed: $(cat "$T_DIR/r.err")"
	expect "verify ok" "$(jget "$T_DIR/r.json" .verify.ok)" 400
	expect "missing" "$(jget "$T_DIR/r.json" .verify.missing)" 0
	no_xdp "$NS_A" "$IF_A"
}

# Another tool detaches our program: the receiver notices within about a second, says so
# and stops; its pins go.
test_fault_program_detached_underneath() {
	lab_up
	start_recv r -i "$IF_A" -t 60 --json
	ip -n "$NS_A" link set dev "$IF_A" xdpdrv off || fail "ip link xdpdrv off failed"
	local i
	for i in $(seq 50); do kill -0 "$RECV_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$RECV_PID" 2>/dev/null && fail "recv did not notice its program was detached"
	wait "$RECV_PID" && fail "recv exited 0"
	expect_match "error" "$(tail -n 1 "$T_DIR/r.err")" "detached or replaced by someone else"
	no_xdp "$NS_A" "$IF_A"
	pins_gone "$IF_A"
}

# The pins of a persistent program are removed: the program is then a stranger's to the
# rule commands (clear error), and the next attach replaces it, saying so.
test_fault_pins_removed() {
	lab_up
	in_a "$XF" attach -i "$IF_A" -r "udp dport 4242" >/dev/null || fail "attach failed"
	in_a rm -rf "/sys/fs/bpf/xskflow/$IF_A"
	local out
	out=$(in_a "$XF" rule list -i "$IF_A" 2>&1) && fail "rule list worked without pins"
	expect_match "rule list" "$out" "has no persistent xskflow steering program"
	in_a "$XF" attach -i "$IF_A" -r "udp dport 4242" --json >"$T_DIR/a.json" ||
		fail "attach over the unpinned program failed"
	expect_match "fallback" "$(jget "$T_DIR/a.json" '.fallbacks | join("|")')" "replaced a stale"
	in_a "$XF" detach -i "$IF_A" || fail "detach failed"
	no_xdp "$NS_A" "$IF_A"
	pins_gone "$IF_A"
}

# A UMEM the machine cannot hold: refused by the pinned-memory guard by default, and by the
# kernel when the guard is lifted; one line each, nothing attached afterwards.
test_fault_umem_out_of_memory() {
	lab_up
	local out
	out=$(in_a "$XF" recv -i "$IF_A" --frames 16777216 -t 1 2>&1) && fail "a 64 GiB UMEM was accepted"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "guard" "$out" "XSKFLOW_PIN_LIMIT"
	out=$(in_a env XSKFLOW_PIN_LIMIT=1T "$XF" recv -i "$IF_A" --frames 16777216 -t 1 2>&1) &&
		fail "a 64 GiB UMEM was mapped"
	expect "one line" "$(echo "$out" | wc -l)" 1
	expect_match "kernel refusal" "$out" "cannot map .* bytes"
	no_xdp "$NS_A" "$IF_A"
	pins_gone "$IF_A"
}

# SIGKILL in the middle of traffic, then a restart: the new receiver replaces the dead one's
# program and gets everything sent after it is ready.
test_fault_sigkill_mid_traffic_restart() {
	lab_up
	start_recv r -i "$IF_A" -t 60
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4242 -n 200000 --rate 100000 >/dev/null &
	local spid=$!
	sleep 0.5
	kill -9 "$RECV_PID"
	wait "$RECV_PID" 2>/dev/null
	wait "$spid"
	start_recv r2 -i "$IF_A" -n 1000 -t 30 --verify --json
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4242 -n 1000 -s 64-1500 >/dev/null || fail "send after restart failed"
	wait "$RECV_PID" || fail "restarted recv failed: $(cat "$T_DIR/r2.err")"
	expect "verify ok" "$(jget "$T_DIR/r2.json" .verify.ok)" 1000
	expect_match "fallback" "$(jget "$T_DIR/r2.json" '.fallbacks | join("|")')" "replaced a stale"
	no_xdp "$NS_A" "$IF_A"
	pins_gone "$IF_A"
}
