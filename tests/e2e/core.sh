# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End-to-end tests of the core slice: steer UDP into an AF_XDP socket on a veth lab,
# byte-exact and in order, in native and generic mode; everything else reaches the kernel.

# send_seq FAMILY COUNT SIZES [extra send args]: sequenced frames from b to a's port 4242.
send_seq() {
	local fam=$1 n=$2 sizes=$3 src dst
	shift 3
	if [ "$fam" = 6 ]; then src=$IP6_B dst=$IP6_A; else src=$IP4_B dst=$IP4_A; fi
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$src" --dst-ip "$dst" \
		--dst-port 4242 -n "$n" -s "$sizes" --json "$@" >"$T_DIR/send.json" ||
		fail "xskflow send failed: $(cat "$T_DIR/send.json")"
	expect "send packets" "$(jget "$T_DIR/send.json" .packets)" "$n"
	expect "send frames home" "$(jget "$T_DIR/send.json" .frames_home)" true
}

# check_verified FILE COUNT MODE [RULE_HITS (default COUNT)]
check_verified() {
	local f=$1
	expect "recv packets" "$(jget "$f" .packets)" "$2"
	expect "verify ok" "$(jget "$f" .verify.ok)" "$2"
	expect "verify bad" "$(jget "$f" .verify.bad)" 0
	expect "verify out_of_order" "$(jget "$f" .verify.out_of_order)" 0
	expect "verify missing" "$(jget "$f" .verify.missing)" 0
	expect "attach mode" "$(jget "$f" .attach_mode)" "$3"
	expect "bind mode" "$(jget "$f" .bind_mode)" copy
	expect "rx_dropped" "$(jget "$f" .xdp_stats.rx_dropped)" 0
	expect "frames home" "$(jget "$f" .frames_home)" true
	expect "rule counter" "$(jget "$f" '.rules[0].packets')" "${4:-$2}"
	jq -e '.xdp_stats | has("rx_dropped") and has("rx_invalid_descs") and has("tx_invalid_descs")
		and has("rx_ring_full") and has("rx_fill_ring_empty_descs")
		and has("tx_ring_empty_descs")' "$f" >/dev/null || fail "xdp_stats lacks a field"
}

# run_10k MODE [send args]: 10,000 sequenced frames of random sizes 64..1500. The fill and
# RX rings hold all of them, so no frame can be lost however slowly the receiver runs
# (sanitizers, a busy machine): any loss is a bug.
run_10k() {
	local mode=$1
	shift
	lab_up
	start_recv r -i "$IF_A" --mode "$mode" -n 10000 -t 60 --verify --json \
		--frame-size 2048 --frames 16384 --ring-size 16384
	send_seq 4 10000 64-1500 "$@"
	wait "$RECV_PID" || fail "recv exited with $?: $(cat "$T_DIR/r.err")"
	check_verified "$T_DIR/r.json" 10000 "$mode"
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_native_10k_random_sizes() {
	run_10k native
}

test_e2e_generic_10k_random_sizes() {
	# Generic XDP runs from the backlog queue (netdev_max_backlog): pace the sender.
	run_10k generic --rate 50000
}

test_e2e_ipv6_native() {
	lab_up
	start_recv r -i "$IF_A" -r "ip6 udp dport 4242" -n 2000 -t 30 --verify --json
	send_seq 6 2000 70-1500
	wait "$RECV_PID" || fail "recv failed: $(cat "$T_DIR/r.err")"
	check_verified "$T_DIR/r.json" 2000 native
}

test_e2e_ipv4_rule_ignores_ipv6() {
	lab_up
	start_recv r -i "$IF_A" -r "ip udp dport 4242" -t 3 --json
	send_seq 6 100 100
	wait "$RECV_PID"
	expect "packets received" "$(jget "$T_DIR/r.json" .packets)" 0
	expect "unmatched" "$(jget "$T_DIR/r.json" .steering.unmatched | awk '{print ($1 >= 100)}')" 1
}

test_e2e_unmatched_udp_and_ping_reach_kernel() {
	lab_up
	start_recv r -i "$IF_A" -n 50 -t 60 --json
	udp_counter 5555 3
	local upid=$UDP_PID
	in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 5555 -n 200 -s 64-1400 --rate 5000 >/dev/null || fail "send to 5555 failed"
	in_b ping -c 3 -i 0.2 -W 2 "$IP4_A" >"$T_DIR/ping.out" || fail "ping failed: $(cat "$T_DIR/ping.out")"
	in_b ping -6 -c 2 -i 0.2 -W 2 "$IP6_A" >>"$T_DIR/ping.out" || fail "ping -6 failed"
	wait "$upid"
	expect "kernel UDP socket received (valid checksums)" "$(cat "$T_DIR/udp.count")" 200
	send_seq 4 50 64
	wait "$RECV_PID"
	expect "steered packets" "$(jget "$T_DIR/r.json" .packets)" 50
	expect "unmatched >= 205" "$(jget "$T_DIR/r.json" .steering.unmatched | awk '{print ($1 >= 205)}')" 1
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_zero_copy_forced_fails_cleanly() {
	lab_up
	local out
	out=$(in_a "$XF" recv -i "$IF_A" --bind zero-copy -t 1 2>&1) && fail "zero-copy bind on veth succeeded"
	echo "$out"
	expect "one error line" "$(echo "$out" | wc -l)" 1
	expect_match "error text" "$out" "driver 'veth'.*zero-copy bind refused.*--bind copy"
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_auto_bind_reports_copy_with_reason() {
	lab_up
	start_recv r -i "$IF_A" -t 1 --json
	wait "$RECV_PID"
	expect "bind mode" "$(jget "$T_DIR/r.json" .bind_mode)" copy
	expect_match "fallback reason" "$(jget "$T_DIR/r.json" '.fallbacks | join("|")')" \
		"zero-copy bind refused by driver 'veth'"
}

# A bridge has no driver-mode XDP: the fallback path real NICs without XDP support take.
test_e2e_native_refused_on_bridge() {
	lab_up
	ip -n "$NS_A" link add xfbr0 type bridge || skip "cannot create a bridge"
	ip -n "$NS_A" link set xfbr0 up
	local out
	out=$(in_a "$XF" recv -i xfbr0 --mode native -t 1 2>&1) && fail "native attach on a bridge succeeded"
	echo "$out"
	expect "one error line" "$(echo "$out" | wc -l)" 1
	expect_match "error text" "$out" "'xfbr0' \(driver 'bridge'\): native XDP attach refused"
	no_xdp "$NS_A" xfbr0
	# auto falls back to generic and says why
	in_a "$XF" recv -i xfbr0 -t 0.5 --json >"$T_DIR/d.json" 2>"$T_DIR/d.err" ||
		fail "auto mode on a bridge failed: $(cat "$T_DIR/d.err")"
	expect "attach mode" "$(jget "$T_DIR/d.json" .attach_mode)" generic
	expect_match "fallback" "$(jget "$T_DIR/d.json" '.fallbacks | join("|")')" \
		"native XDP attach refused by driver 'bridge'"
	no_xdp "$NS_A" xfbr0
}

test_e2e_bad_input_errors() {
	lab_up
	local out
	out=$(in_a "$XF" recv -i nosuchif0 -t 1 2>&1) && fail "unknown interface accepted"
	expect_match "unknown interface" "$out" "^xskflow: interface 'nosuchif0' not found"
	out=$(in_a "$XF" recv -i "$IF_A" -r "udp dport 99999" -t 1 2>&1) && fail "bad rule accepted"
	expect_match "bad rule" "$out" "at 'dport'.*99999"
	out=$(in_a "$XF" recv -i "$IF_A" --mode turbo -t 1 2>&1) && fail "bad mode accepted"
	expect_match "bad mode" "$out" "--mode: 'turbo'"
	out=$(in_a "$XF" recv -i "$IF_A" -q 5 -t 1 2>&1) && fail "queue 5 accepted on a 1-queue veth"
	expect_match "bad queue" "$out" "has 1 RX queue.*queue 5 does not exist"
	no_xdp "$NS_A" "$IF_A"
	out=$(in_b "$XF" send -i "$IF_B" --dst-mac zz --src-ip "$IP4_B" --dst-ip "$IP4_A" --dst-port 1 2>&1) &&
		fail "bad MAC accepted"
	expect_match "bad mac" "$out" "--dst-mac: 'zz' is not a MAC"
	out=$(in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP6_B" --dst-ip "$IP6_A" --dst-port 1 -s 64 2>&1) &&
		fail "64-byte IPv6 frame accepted"
	expect_match "too small" "$out" "at least 70"
	out=$(in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP6_A" --dst-port 1 2>&1) &&
		fail "mixed families accepted"
	expect_match "families" "$out" "not the same address family"
	out=$(in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" --dst-port 1 -s 5000 2>&1) &&
		fail "5000-byte frame accepted without multi-buffer"
	expect_match "jumbo without multi-buffer" "$out" "use at most 3840, or --multi-buffer"
	out=$(in_b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" --src-ip "$IP4_B" --dst-ip "$IP4_A" --dst-port 1 -s 9015 --multi-buffer 2>&1) &&
		fail "9015-byte frame accepted"
	expect_match "beyond MTU 9000" "$out" "more than a 9000-byte MTU carries; use at most 9014"
}

test_e2e_existing_program_refused() {
	lab_up
	local obj=/usr/lib/$(gcc -dumpmachine)/bpf/xdpfilt_alw_all.o out
	[ -f "$obj" ] || skip "xdp-tools' xdpfilt_alw_all.o is not installed"
	in_a xdp-loader load -m skb "$IF_A" "$obj" >/dev/null 2>&1 || fail "xdp-loader load failed"
	out=$(in_a "$XF" recv -i "$IF_A" --mode generic -t 1 2>&1) && fail "attach over another program succeeded"
	echo "$out"
	expect "one error line" "$(echo "$out" | wc -l)" 1
	expect_match "error" "$out" "'$IF_A' already has an XDP program attached \(id [0-9]+\); detach it first"
	in_a xdp-loader unload "$IF_A" --all >/dev/null 2>&1 || fail "xdp-loader unload failed"
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_stale_program_replaced_after_kill9() {
	lab_up
	start_recv r -i "$IF_A"
	kill -9 "$RECV_PID"
	wait "$RECV_PID" 2>/dev/null
	ip -n "$NS_A" -d link show "$IF_A" | grep -q prog/xdp || fail "kill -9 left nothing to recover"
	start_recv r2 -i "$IF_A" -n 100 -t 20 --verify --json
	send_seq 4 100 64-512
	wait "$RECV_PID" || fail "recv after kill -9 failed: $(cat "$T_DIR/r2.err")"
	expect_match "fallback" "$(jget "$T_DIR/r2.json" '.fallbacks | join("|")')" "replaced a stale xskflow steering program"
	expect "verify ok" "$(jget "$T_DIR/r2.json" .verify.ok)" 100
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_second_recv_refused_while_first_runs() {
	lab_up
	start_recv r -i "$IF_A" -t 10
	local out
	out=$(in_a "$XF" recv -i "$IF_A" -t 1 2>&1) && fail "second recv on the same interface succeeded"
	expect_match "error" "$out" "'$IF_A' is in use by xskflow process $RECV_PID"
	ip -n "$NS_A" -d link show "$IF_A" | grep -q prog/xdp || fail "the first recv lost its program"
	kill -TERM "$RECV_PID"
	wait "$RECV_PID" || fail "recv exited with $? after SIGTERM"
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_queue_1_of_2() {
	lab_up -q 2
	start_recv r -i "$IF_A" -q 1 -n 500 -t 30 --verify --json
	send_seq 4 500 64-1500 -q 1
	wait "$RECV_PID" || fail "recv failed: $(cat "$T_DIR/r.err")"
	expect "recv packets" "$(jget "$T_DIR/r.json" .packets)" 500
	expect "verify ok" "$(jget "$T_DIR/r.json" .verify.ok)" 500
	expect "queue" "$(jget "$T_DIR/r.json" .queue)" 1
}

test_e2e_sigint_detaches() {
	lab_up
	start_recv r -i "$IF_A" --json
	send_seq 4 100 64
	sleep 0.2
	kill -INT "$RECV_PID"
	wait "$RECV_PID" || fail "recv exited with $? after SIGINT"
	expect "packets" "$(jget "$T_DIR/r.json" .packets)" 100
	expect "frames home" "$(jget "$T_DIR/r.json" .frames_home)" true
	no_xdp "$NS_A" "$IF_A"
}

# ---- multi-buffer: jumbo frames on a veth with MTU 9000 ----

# jumbo_lab: a lab whose veth carries 9000-byte IP packets (9014-byte frames).
jumbo_lab() {
	lab_up
	ip -n "$NS_A" link set dev "$IF_A" mtu 9000 || fail "cannot set MTU 9000 on $IF_A"
	ip -n "$NS_B" link set dev "$IF_B" mtu 9000 || fail "cannot set MTU 9000 on $IF_B"
}

# run_jumbo MODE: 2000 frames of 60..9014 bytes, sent as chains by 'xskflow send
# --multi-buffer', received as chains by 'xskflow recv --multi-buffer' and checked byte by
# byte after reassembly. 4096-byte frames hold at most 3840 bytes of a received packet, so
# most arrive as chains of two or three. The rings hold every frame of the test.
run_jumbo() {
	local mode=$1 f
	shift
	jumbo_lab
	start_recv r -i "$IF_A" --mode "$mode" --multi-buffer -n 2000 -t 60 --verify --json \
		--frames 16384 --ring-size 8192
	send_seq 4 2000 60-9014 --multi-buffer --rate 20000
	wait "$RECV_PID" || fail "recv exited with $?: $(cat "$T_DIR/r.err")"
	f=$T_DIR/r.json
	check_verified "$f" 2000 "$mode"
	expect "multi_buffer" "$(jget "$f" .multi_buffer)" true
	[ "$(jget "$f" .chained)" -gt 1000 ] || fail "only $(jget "$f" .chained) packets came as chains"
	expect "bytes" "$(jget "$f" .bytes)" "$(jget "$T_DIR/send.json" .bytes)"
	no_xdp "$NS_A" "$IF_A"
}

# raw_udp_frame IFACE SIZE: one SIZE-byte Ethernet/IPv4/UDP frame to port 4242, sent from
# namespace b through an AF_PACKET socket (bigger than 'xskflow send' builds).
raw_udp_frame() {
	in_b python3 - "$1" "$2" "$MAC_A" "$MAC_B" "$IP4_B" "$IP4_A" <<'PY' ||
import socket, struct, sys
ifc, size, dmac, smac, src, dst = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, size - 14, 0, 0x4000, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
c = sum(struct.unpack("!10H", ip))
c = (c & 0xffff) + (c >> 16)
ip = ip[:10] + struct.pack("!H", ~((c & 0xffff) + (c >> 16)) & 0xffff) + ip[12:]
udp = struct.pack("!HHHH", 4000, 4242, size - 34, 0)
frame = mac(dmac) + mac(smac) + b"\x08\x00" + ip + udp + bytes(size - 42)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
assert s.send(frame) == size
PY
		fail "could not send a $2-byte frame on $1"
}

# run_chain_too_long MODE: MTU 60000 and 2 KiB frames: the copy-mode kernel splits a
# 50000-byte packet into more frames than a chain may have (XF_PKT_MAX_SEGS). It is dropped
# whole and counted, the receiver does not stall on it, and 300 numbered jumbo frames after
# it all arrive intact, in order.
run_chain_too_long() {
	local mode=$1 f
	lab_up
	ip -n "$NS_A" link set dev "$IF_A" mtu 60000 || fail "cannot set MTU 60000 on $IF_A"
	ip -n "$NS_B" link set dev "$IF_B" mtu 60000 || fail "cannot set MTU 60000 on $IF_B"
	start_recv r -i "$IF_A" --mode "$mode" --multi-buffer --frame-size 2048 -n 300 -t 60 \
		--verify --json --frames 8192 --ring-size 4096
	raw_udp_frame "$IF_B" 50000
	raw_udp_frame "$IF_B" 50000
	send_seq 4 300 9014 --multi-buffer --rate 20000
	wait "$RECV_PID" || fail "recv exited with $?: $(cat "$T_DIR/r.err")"
	f=$T_DIR/r.json
	check_verified "$f" 300 "$mode" 302	# the rule matched the two big ones too
	expect "chains dropped" "$(jget "$f" .chains_dropped)" 2
	expect "steered to the socket" "$(jget "$f" .steering.xsk)" 302
	expect "frames home" "$(jget "$f" .frames_home)" true
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_jumbo_chain_too_long_dropped_native() { run_chain_too_long native; }
test_e2e_jumbo_chain_too_long_dropped_generic() { run_chain_too_long generic; }

test_e2e_jumbo_multi_buffer_native() { run_jumbo native; }
test_e2e_jumbo_multi_buffer_generic() { run_jumbo generic; }

# run_jumbo_refused MODE: a socket without multi-buffer. 300 frames of 9014 bytes reach it
# through the program (steering xsk counter) and the kernel drops every one (rx_dropped),
# never handing over a truncated first part; then 500 frames of 1000 bytes, numbered from 0
# again, all arrive intact and in order.
run_jumbo_refused() {
	local mode=$1 f
	jumbo_lab
	start_recv r -i "$IF_A" --mode "$mode" -n 500 -t 60 --verify --json
	send_seq 4 300 9014 --multi-buffer --rate 20000
	send_seq 4 500 1000 --rate 20000
	wait "$RECV_PID" || fail "recv exited with $?: $(cat "$T_DIR/r.err")"
	f=$T_DIR/r.json
	expect "recv packets" "$(jget "$f" .packets)" 500
	expect "verify ok" "$(jget "$f" .verify.ok)" 500
	expect "verify bad (truncated)" "$(jget "$f" .verify.bad)" 0
	expect "verify out_of_order" "$(jget "$f" .verify.out_of_order)" 0
	expect "bytes" "$(jget "$f" .bytes)" 500000
	expect "multi_buffer" "$(jget "$f" .multi_buffer)" false
	expect "steered to the socket" "$(jget "$f" .steering.xsk)" 800
	expect "rx_dropped" "$(jget "$f" .xdp_stats.rx_dropped)" 300
	expect "frames home" "$(jget "$f" .frames_home)" true
	no_xdp "$NS_A" "$IF_A"
}

test_e2e_jumbo_without_multi_buffer_dropped_native() { run_jumbo_refused native; }
test_e2e_jumbo_without_multi_buffer_dropped_generic() { run_jumbo_refused generic; }

# bad_opt MESSAGE CMD...: CMD (run in namespace a) fails with status 1 and exactly the one
# line "xskflow: MESSAGE" on stderr, nothing on stdout.
bad_opt() {
	local want=$1 out err rc
	shift
	out=$(in_a "$XF" "$@" 2>"$T_DIR/bad.err")
	rc=$?
	err=$(cat "$T_DIR/bad.err")
	[ "$rc" = 1 ] || fail "'$*' exited with $rc, expected 1 (stderr: $err)"
	[ -z "$out" ] || fail "'$*' printed on stdout: $out"
	[ "$err" = "xskflow: $want" ] || fail "'$*': got '$err', expected 'xskflow: $want'"
	echo "ok: $*"
}

# The shared port options (user/cli/portopts.c): every command that takes one refuses the
# same bad value with the same one line and status 1, before anything is attached.
test_e2e_cli_bad_port_options() {
	lab_up
	local flow=(--dst-mac 02:00:00:00:00:01 --src-ip 198.18.0.2 --dst-ip 198.18.0.1
		--dst-port 4242 -n 1)
	local recv=(recv -i "$IF_A" -t 1) send=(send -i "$IF_A" "${flow[@]}")
	local c m steer=(attach detach "rule list" stats) gone="xfgone$RANDOM"
	local modes=(rxdrop txonly l2fwd latency)

	# --mode: recv, bench and the persistent-steering commands
	bad_opt "--mode: 'turbo' is not one of auto, native, generic" "${recv[@]}" --mode turbo
	for m in "${modes[@]}"; do
		bad_opt "--mode: 'turbo' is not one of auto, native, generic" \
			bench "$m" -i "$IF_A" --mode turbo
	done
	for c in "${steer[@]}"; do
		# shellcheck disable=SC2086 # "rule list" is two words
		bad_opt "--mode: 'turbo' is not one of auto, native, generic" $c -i "$IF_A" \
			--mode turbo
	done
	# --bind and --queue: recv, send, bench
	for c in recv send "bench rxdrop" "bench txonly"; do
		local args
		case $c in
		recv) args=("${recv[@]}") ;;
		send) args=("${send[@]}") ;;
		*) read -ra args <<<"$c -i $IF_A" ;;
		esac
		bad_opt "--bind: 'fast' is not one of auto, copy, zero-copy" "${args[@]}" --bind fast
		bad_opt "--bind: '' is not one of auto, copy, zero-copy" "${args[@]}" --bind ""
		bad_opt "--queue: '256' is not a number in 0-255" "${args[@]}" -q 256
		bad_opt "--queue: 'one' is not a number in 0-255" "${args[@]}" --queue one
	done
	# --frame-size and --frames: recv, bench, doctor (bench's own range of frames)
	for c in recv bench doctor; do
		local args frames="2-16777216"
		case $c in
		recv) args=("${recv[@]}") ;;
		bench) args=(bench rxdrop -i "$IF_A"); frames="64-1048576" ;;
		doctor) args=(doctor -i "$IF_A") ;;
		esac
		bad_opt "--frame-size: 3000 is not 2048 or 4096" "${args[@]}" --frame-size 3000
		bad_opt "--frame-size: '1024' is not a number in 2048-4096" "${args[@]}" \
			--frame-size 1024
		bad_opt "--frame-size: '8192' is not a number in 2048-4096" "${args[@]}" \
			--frame-size 8192
		bad_opt "--frames: '1' is not a number in $frames" "${args[@]}" --frames 1
		bad_opt "--frames: 'many' is not a number in $frames" "${args[@]}" --frames many
	done
	# recv's UMEM and ring options
	bad_opt "--headroom: '5000' is not a number in 0-4096" "${recv[@]}" --headroom 5000
	bad_opt "--ring-size: 100 is not a power of two" "${recv[@]}" --ring-size 100
	bad_opt "--ring-size: '32' is not a number in 64-1048576" "${recv[@]}" --ring-size 32
	bad_opt "--ring-size: '-64' is not a number in 64-1048576" "${recv[@]}" --ring-size -64
	# bench's rings and busy polling, in every mode
	for m in "${modes[@]}"; do
		for c in rx-ring tx-ring fill-ring comp-ring; do
			bad_opt "--$c: 100 is not a power of two" bench "$m" -i "$IF_A" --$c 100
			bad_opt "--$c: '131072' is not a number in 64-65536" bench "$m" -i "$IF_A" \
				--$c 131072
		done
		bad_opt "--busy-poll: '2000000' is not a number in 0-1000000" \
			bench "$m" -i "$IF_A" --busy-poll 2000000
		bad_opt "--busy-budget: '0' is not a number in 1-65535" \
			bench "$m" -i "$IF_A" --busy-budget 0
	done
	# An interface that does not exist: one line from every command.
	local nosuch="interface '$gone' not found in this network namespace; check 'ip link'"
	bad_opt "$nosuch" recv -i "$gone" -t 1
	bad_opt "$nosuch" send -i "$gone" "${flow[@]}" --src-mac 02:00:00:00:00:02
	bad_opt "$nosuch" bench rxdrop -i "$gone" --src-mac 02:00:00:00:00:02
	bad_opt "$nosuch" doctor -i "$gone"
	for c in "${steer[@]}"; do
		# shellcheck disable=SC2086
		bad_opt "$nosuch" $c -i "$gone"
	done
	bad_opt "interface '$gone' not found or has no MAC address; check 'ip link' or give --src-mac" \
		send -i "$gone" "${flow[@]}"
	# Options a command does not take are unknown to it, as before.
	in_a "$XF" "${send[@]}" --mode native 2>"$T_DIR/bad.err" &&
		fail "send took --mode"
	expect_match "send --mode" "$(head -n 1 "$T_DIR/bad.err")" "unrecognized option '--mode'"
	in_a "$XF" attach -i "$IF_A" --bind copy 2>"$T_DIR/bad.err" && fail "attach took --bind"
	expect_match "attach --bind" "$(head -n 1 "$T_DIR/bad.err")" "unrecognized option '--bind'"
	no_xdp "$NS_A" "$IF_A"
}
