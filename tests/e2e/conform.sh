# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# AF_XDP conformance suite: tests/conform/xsk_conform.c runs one case per test in namespace a
# (native and generic attach) while b sends with 'xskflow send' or checks with 'xskflow recv'.
# Argument lists built by cf_peer_b, cf_rate and the CF_* variables split into words on purpose.
# shellcheck disable=SC2046,SC2086

CF_N=3000	# frames per stream: enough to wrap every ring, small enough for the time budget

cf_bin() {
	case $BUILD in
	/*) echo "$BUILD/conform/xsk_conform" ;;
	*) echo "$PWD/$BUILD/conform/xsk_conform" ;;
	esac
}

# Senders are paced so that a receiver descheduled for a while on this loaded 2-core VM
# does not overflow its 2048-entry rings (that loss is real and counted, but it is not what
# these cases test). Generic XDP also runs from the per-CPU backlog (netdev_max_backlog).
cf_rate() { if [ "$1" = generic ]; then echo "--rate 20000"; else echo "--rate 40000"; fi; }
# Forwarding checks, rewrites and resends every frame on the same 2 CPUs as both peers'
# kernels: slower still, most of all in a sanitizer build.
CF_FWD_RATE="--rate 30000"

# Flow arguments for the program in a: the peer is b.
cf_peer_b() { echo "--peer-mac $MAC_B --local-ip $IP4_A --peer-ip $IP4_B"; }

# cf_start NAME NS CASE ARGS...: run the conformance program in namespace NS (a|b) in the
# background, output in $T_DIR/NAME.out and NAME.err; return once it says it is ready.
# Sets CF_PID.
cf_start() {
	local name=$1 ns=$2 bin i
	shift 2
	bin=$(cf_bin)
	[ -x "$bin" ] || fail "$bin is not built; run 'make $BUILD/conform/xsk_conform'"
	# exec all the way down, so that CF_PID is the program itself (signals reach it).
	(exec scripts/lab.sh exec "$LAB_ID" "$ns" "$bin" "$@") >"$T_DIR/$name.out" \
		2>"$T_DIR/$name.err" &
	CF_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q ': ready$' "$T_DIR/$name.err" 2>/dev/null && return 0
		kill -0 "$CF_PID" 2>/dev/null || break
		sleep 0.05
	done
	wait "$CF_PID"
	fail "$name: not ready: $(tail -n 1 "$T_DIR/$name.err")"
}

# The one line that says why the program failed: its own verdict, or an assertion or
# sanitizer report when it crashed.
cf_reason() {
	grep -m1 -E 'FAIL|Assertion|AddressSanitizer|runtime error|Segmentation' "$1" ||
		tail -n 1 "$1"
}

# cf_end NAME PID: wait for the program, fail with its reason, show its summary.
cf_end() {
	local rc=0
	wait "$2" || rc=$?
	cat "$T_DIR/$1.err"
	[ "$rc" -eq 0 ] || fail "$1 (exit $rc): $(cf_reason "$T_DIR/$1.err")"
	grep -q 'result=pass$' "$T_DIR/$1.out" || fail "$1: no summary line"
	echo "ok: $(cat "$T_DIR/$1.out")"
}

# cf_run NAME CASE ARGS...: run a case in a in the foreground.
cf_run() {
	local name=$1 rc=0
	shift
	in_a "$(cf_bin)" "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" || rc=$?
	cat "$T_DIR/$name.err"
	[ "$rc" -eq 0 ] || fail "$name (exit $rc): $(cf_reason "$T_DIR/$name.err")"
	echo "ok: $(cat "$T_DIR/$name.out")"
}

# cf_kv NAME KEY: a value from a summary line.
cf_kv() { tr ' ' '\n' <"$T_DIR/$1.out" | sed -n "s/^$2=//p"; }

# cf_send IFACE DST_MAC COUNT SIZE [send args...]: the pattern from b to a's port 4242.
cf_send() {
	local ifc=$1 mac=$2 n=$3 size=$4 out=$T_DIR/send.$RANDOM.json
	shift 4
	in_b "$XF" send -i "$ifc" --dst-mac "$mac" --src-ip "$IP4_B" --dst-ip "$IP4_A" \
		--dst-port 4242 -n "$n" -s "$size" --json "$@" >"$out" ||
		fail "xskflow send failed: $(cat "$out")"
	expect "sent" "$(jget "$out" .packets)" "$n"
	expect "sender frames home" "$(jget "$out" .frames_home)" true
}

# cf_recv_b NAME ARGS...: 'xskflow recv' in b in the background (JSON in $T_DIR/NAME.json),
# ready when it says so. Sets RECV_PID. Its rings hold every frame a case sends, so the
# checker itself can never lose one, however late it is scheduled.
cf_recv_b() {
	local name=$1
	shift
	(exec scripts/lab.sh exec "$LAB_ID" b "$XF" recv --frame-size 2048 --frames 16384 \
		--ring-size 8192 "$@") >"$T_DIR/$name.json" \
		2>"$T_DIR/$name.err" &
	RECV_PID=$!
	wait_for "$T_DIR/$name.err" "receiving on" 15
}

# cf_recv_check NAME COUNT MODE: b got COUNT frames, all intact and in order.
cf_recv_check() {
	local f=$T_DIR/$1.json rc=0
	wait "$RECV_PID" || rc=$?
	[ "$rc" -eq 0 ] || fail "recv in b exited with $rc: $(tail -n 2 "$T_DIR/$1.err") $(
		jq -c '{packets, verify}' "$f" 2>/dev/null)"
	expect "b received" "$(jget "$f" .packets)" "$2"
	expect "b verify ok" "$(jget "$f" .verify.ok)" "$2"
	expect "b verify bad" "$(jget "$f" .verify.bad)" 0
	expect "b verify out_of_order" "$(jget "$f" .verify.out_of_order)" 0
	expect "b verify missing" "$(jget "$f" .verify.missing)" 0
	expect "b rx_dropped" "$(jget "$f" .xdp_stats.rx_dropped)" 0
	expect "b attach mode" "$(jget "$f" .attach_mode)" "$3"
	expect "b frames home" "$(jget "$f" .frames_home)" true
}

# ---- receive ----

# cf_rx MODE FRAME_SIZE COUNT SIZES [case args...]
cf_rx() {
	local mode=$1 fs=$2 n=$3 sizes=$4
	shift 4
	lab_up
	cf_start r a rx -i "$IF_A" --mode "$mode" --frame-size "$fs" -n "$n" $(cf_peer_b) "$@"
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" "$n" "$sizes" $(cf_rate "$mode")
	cf_end r "$pid"
	expect "packets" "$(cf_kv r packets)" "$n"
	local home
	home=$(cf_kv r frames_home)
	expect "frames home (of ${home#*/})" "${home%/*}" "${home#*/}"
	no_xdp "$NS_A" "$IF_A"
}

test_conform_rx_2k_native() { cf_rx native 2048 $CF_N 64-1500; }
test_conform_rx_2k_generic() { cf_rx generic 2048 $CF_N 64-1500; }
test_conform_rx_4k_native() { cf_rx native 4096 $CF_N 64-1500; }
test_conform_rx_4k_generic() { cf_rx generic 4096 $CF_N 64-1500; }
test_conform_single_packet_native() { cf_rx native 4096 1 60; }
test_conform_single_packet_generic() { cf_rx generic 2048 1 1514; }
test_conform_busy_poll_native() { cf_rx native 4096 $CF_N 64-1500 --busy-poll 20; }
test_conform_busy_poll_generic() { cf_rx generic 4096 $CF_N 64-1500 --busy-poll 20; }

cf_poll_rx() {
	lab_up
	cf_start r a poll_rx -i "$IF_A" --mode "$1" -n $CF_N $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" $CF_N 64-1500 $(cf_rate "$1")
	cf_end r "$pid"
	expect "packets" "$(cf_kv r packets)" $CF_N
}

test_conform_poll_rx_native() { cf_poll_rx native; }
test_conform_poll_rx_generic() { cf_poll_rx generic; }

# ---- transmit: b checks every frame ----

# cf_tx MODE CASE COUNT [case args...]
cf_tx() {
	local mode=$1 case=$2 n=$3
	shift 3
	lab_up
	cf_recv_b rb -i "$IF_B" --mode "$mode" -n "$n" -t 30 --verify --json
	cf_run t "$case" -i "$IF_A" --mode "$mode" -n "$n" $(cf_peer_b) $(cf_rate "$mode") "$@"
	cf_recv_check rb "$n" "$mode"
	no_xdp "$NS_A" "$IF_A"
}

test_conform_tx_2k_native() { cf_tx native tx $CF_N --frame-size 2048 -s 60-1514; }
test_conform_tx_2k_generic() { cf_tx generic tx $CF_N --frame-size 2048 -s 60-1514; }
test_conform_tx_4k_native() { cf_tx native tx $CF_N --frame-size 4096 -s 60-1514; }
test_conform_tx_4k_generic() { cf_tx generic tx $CF_N --frame-size 4096 -s 60-1514; }

# A 256-entry TX ring over a 64-entry completion ring that is not reaped: POLLOUT must
# time out, then come back once completions are taken.
CF_POLL_TX="--tx-size 256 --comp-size 64 -s 64-1500"
test_conform_poll_tx_native() { cf_tx native poll_tx $CF_N $CF_POLL_TX; }
test_conform_poll_tx_generic() { cf_tx generic poll_tx $CF_N $CF_POLL_TX; }

# Every way a descriptor can break the aligned-mode rules, counted exactly in
# tx_invalid_descs, with valid frames (and valid corner cases) all around: inside frames the
# application owns (public API), and at addresses outside the UMEM (hidden hook).
test_conform_inval_tx_2k_native() { cf_tx native inval_tx $CF_N --frame-size 2048 -s 60-1000; }
test_conform_inval_tx_2k_generic() { cf_tx generic inval_tx $CF_N --frame-size 2048 -s 60-1000; }
test_conform_inval_tx_4k_native() { cf_tx native inval_tx $CF_N --frame-size 4096 -s 60-1500; }
test_conform_inval_tx_4k_generic() { cf_tx generic inval_tx $CF_N --frame-size 4096 -s 60-1500; }
test_conform_inval_tx_oob_native() { cf_tx native inval_tx_oob $CF_N -s 60-1500; }
test_conform_inval_tx_oob_generic() { cf_tx generic inval_tx_oob $CF_N -s 60-1500; }

test_conform_stat_tx_empty_native() { cf_tx native stat_tx_empty 500 -s 64-1500; }
test_conform_stat_tx_empty_generic() { cf_tx generic stat_tx_empty 500 -s 64-1500; }

# ---- the kernel's counters, provoked on purpose ----

# 2048-byte frames with 1024 of headroom hold 2048 - 256 - 1024 = 768 bytes of packet:
# 769-byte frames are dropped (rx_dropped), 768-byte ones all arrive.
cf_stat_rx_dropped() {
	lab_up
	cf_start r a stat_rx_dropped -i "$IF_A" --mode "$1" --frame-size 2048 --headroom 1024 \
		-n 1000 -N 700 $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" 700 769 $(cf_rate "$1")
	cf_send "$IF_B" "$MAC_A" 1000 768 $(cf_rate "$1")
	cf_end r "$pid"
	expect "rx_dropped" "$(cf_kv r rx.rx_dropped)" 700
	expect "max length" "$(cf_kv r max_len)" 768
}

test_conform_stat_rx_dropped_native() { cf_stat_rx_dropped native; }
test_conform_stat_rx_dropped_generic() { cf_stat_rx_dropped generic; }

# A 64-entry RX ring not read while 500 packets arrive: 436 count in rx_ring_full.
cf_stat_rx_full() {
	lab_up
	cf_start r a stat_rx_full -i "$IF_A" --mode "$1" --rx-size 64 -N 500 $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" 500 64-1500 $(cf_rate "$1")
	cf_end r "$pid"
	expect "rx_ring_full" "$(cf_kv r rx.rx_ring_full)" 436
}

test_conform_stat_rx_full_native() { cf_stat_rx_full native; }
test_conform_stat_rx_full_generic() { cf_stat_rx_full generic; }

# A 64-frame UMEM, all in the fill ring, not read while 500 packets arrive: 436 find the
# fill ring empty and are dropped.
cf_stat_fill_empty() {
	lab_up
	cf_start r a stat_fill_empty -i "$IF_A" --mode "$1" --frames 64 -N 500 $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" 500 64-1500 $(cf_rate "$1")
	cf_end r "$pid"
	expect "rx_fill_ring_empty_descs" "$(cf_kv r rx.rx_fill_ring_empty_descs)" 436
}

test_conform_stat_fill_empty_native() { cf_stat_fill_empty native; }
test_conform_stat_fill_empty_generic() { cf_stat_fill_empty generic; }

# ---- headroom: received, tagged in place, sent back from another queue's socket ----

# cf_headroom MODE HEADROOM: b sends on its queue 1 and receives on its queue 0. Native XDP
# sees the frames on a's queue 1 and a sends back on queue 0; generic XDP on veth sees every
# frame on queue 0 (on both sides), so a receives on 0 and sends on 1.
cf_headroom() {
	local qs="-q 1 -Q 0"
	[ "$1" = generic ] && qs="-q 0 -Q 1"
	lab_up -q 2
	cf_recv_b rb -i "$IF_B" -q 0 --mode "$1" -r "vlan 7 udp dport 4242" -n $CF_N -t 30 \
		--verify --json
	cf_start h a headroom -i "$IF_A" $qs --mode "$1" --headroom "$2" --vlan 7 \
		-n $CF_N $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" $CF_N 64-1500 -q 1 $CF_FWD_RATE
	cf_end h "$pid"
	cf_recv_check rb $CF_N "$1"
	expect "b rule hits (tagged)" "$(jget "$T_DIR/rb.json" '.rules[0].packets')" $CF_N
}

test_conform_headroom_0_native() { cf_headroom native 0; }
test_conform_headroom_0_generic() { cf_headroom generic 0; }
test_conform_headroom_256_native() { cf_headroom native 256; }
test_conform_headroom_256_generic() { cf_headroom generic 256; }
test_conform_headroom_1024_native() { cf_headroom native 1024; }
test_conform_headroom_1024_generic() { cf_headroom generic 1024; }

# ---- shared UMEM ----

# b -> IF_A, forwarded by a to IF_A2 from the same UMEM frame, b checks it on IF_B2.
cf_forward() {
	lab_up -p
	cf_recv_b rb -i "$IF_B2" --mode "$1" -n $CF_N -t 30 --verify --json
	cf_start f a forward -i "$IF_A" -I "$IF_A2" --mode "$1" --fwd-mac "$MAC_B2" -n $CF_N \
		$(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" $CF_N 64-1500 $CF_FWD_RATE
	cf_end f "$pid"
	cf_recv_check rb $CF_N "$1"
	no_xdp "$NS_A" "$IF_A"
}

test_conform_forward_native() { cf_forward native; }
test_conform_forward_generic() { cf_forward generic; }

# cf_two_slots NAME CASE MODE: CASE with two sockets on queue 0, dport 4242 -> slot 0 (2000
# frames), dport 4243 -> slot 1 (1200); each gets exactly its own.
cf_two_slots() {
	cf_start "$1" a "$2" -i "$IF_A" --mode "$3" -n 2000 -N 1200 --dport 4242 \
		--dport2 4243 $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" 2000 64-1500 $(cf_rate "$3")
	cf_send "$IF_B" "$MAC_A" 1200 64-1500 --dst-port 4243 $(cf_rate "$3")
	cf_end "$1" "$pid"
	expect "slot 0" "$(cf_kv "$1" slot0)" 2000
	expect "slot 1" "$(cf_kv "$1" slot1)" 1200
}

cf_shared_slots() {
	lab_up
	cf_two_slots s shared_slots "$1"
}

# NAPI yielding with two sockets on queue 0, threaded NAPI on the program's CPU.
cf_napi_yield() {
	lab_up
	local napi
	napi=$(napi_thread)	# napi_thread and nice_of are bench.sh's
	taskset -pc 0 "$napi" >/dev/null
	renice -n 3 -p "$napi" >/dev/null
	cf_two_slots y napi_yield "$1"
	expect "NAPI thread" "$(cf_kv y napi)" "$napi"
	expect "NAPI thread nice untouched" "$(nice_of "$napi")" 3
}

test_conform_napi_yield_native() { cf_napi_yield native; }

test_conform_shared_slots_native() { cf_shared_slots native; }
test_conform_shared_slots_generic() { cf_shared_slots generic; }

# Sockets on queues 0 and 1 sharing a UMEM, one thread each, both at once. Native: each
# receives the stream b sends on its queue. Generic XDP on veth sees every packet on queue 0
# (veth does not record the RX queue on that path), so there the queue 1 socket transmits
# to b while the queue 0 socket receives.
test_conform_two_queues_native() {
	lab_up -q 2
	cf_start q a two_queues -i "$IF_A" -q 0 -Q 1 --mode native -n 2000 -N 1500 \
		--sport 10000 --sport2 10001 $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" 2000 64-1500 -q 0 --src-port 10000 $(cf_rate native) &
	local s0=$!
	cf_send "$IF_B" "$MAC_A" 1500 64-1500 -q 1 --src-port 10001 $(cf_rate native)
	wait "$s0" || fail "sender on queue 0 failed"
	cf_end q "$pid"
	expect "queue 0" "$(cf_kv q queue0)" 2000
	expect "queue 1" "$(cf_kv q queue1)" 1500
}

test_conform_two_queues_generic() {
	lab_up -q 2
	cf_recv_b rb -i "$IF_B" -q 0 --mode generic -n 1500 -t 30 --verify --json
	cf_start q a two_queues -i "$IF_A" -q 0 -Q 1 --mode generic -n 2000 -N 1500 --q2-tx \
		-s 64-1500 $(cf_rate generic) $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" 2000 64-1500 -q 1 $(cf_rate generic)
	cf_end q "$pid"
	cf_recv_check rb 1500 generic
	expect "queue 0" "$(cf_kv q queue0)" 2000
	expect "queue 1 sent" "$(cf_kv q queue1_sent)" 1500
}

# The rule moves the flow from slot 0 to slot 1 while a paced stream runs.
cf_repoint() {
	lab_up
	cf_start p a repoint -i "$IF_A" --mode "$1" -n $CF_N $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" $CF_N 64-1500 --rate 20000
	cf_end p "$pid"
	expect "slot0 + slot1" "$(($(cf_kv p slot0) + $(cf_kv p slot1)))" $CF_N
}

test_conform_repoint_native() { cf_repoint native; }
test_conform_repoint_generic() { cf_repoint generic; }

# ---- both directions on one socket: the case runs on both sides ----

# Each side's UMEM (4096 frames) covers its fill ring (2048) and TX ring (512) at once, so
# sending flat out never starves receiving.
cf_bidi() {
	lab_up
	cf_start ba a bidi -i "$IF_A" --mode "$1" -n $CF_N -N $CF_N --tx-size 512 -s 64-1500 \
		$(cf_peer_b) $(cf_rate "$1")
	local pa=$CF_PID
	cf_start bb b bidi -i "$IF_B" --mode "$1" -n $CF_N -N $CF_N --tx-size 512 -s 64-1500 \
		--peer-mac "$MAC_A" --local-ip "$IP4_B" --peer-ip "$IP4_A" $(cf_rate "$1")
	local pb=$CF_PID
	kill -USR1 "$pa" "$pb" || fail "cannot signal the bidi programs"
	cf_end ba "$pa"
	cf_end bb "$pb"
	expect "a received" "$(cf_kv ba received)" $CF_N
	expect "b received" "$(cf_kv bb received)" $CF_N
}

test_conform_bidi_native() { cf_bidi native; }
test_conform_bidi_generic() { cf_bidi generic; }

# ---- life cycle ----

# 50 full create/receive/destroy cycles against a continuous stream from b.
cf_teardown() {
	lab_up
	cf_start t a teardown -i "$IF_A" --mode "$1" --iters 50 -n 16 --frames 2048 \
		--frame-size 2048 -t 10 $(cf_peer_b)
	local pid=$CF_PID
	(exec scripts/lab.sh exec "$LAB_ID" b "$XF" send -i "$IF_B" --dst-mac "$MAC_A" \
		--src-ip "$IP4_B" --dst-ip "$IP4_A" --dst-port 4242 -n 10000000 -s 64-1500 \
		--rate 3000) >/dev/null 2>&1 &
	local spid=$!
	cf_end t "$pid"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	expect "iterations" "$(cf_kv t iterations)" 50
	no_xdp "$NS_A" "$IF_A"
}

test_conform_teardown_native() { cf_teardown native; }
test_conform_teardown_generic() { cf_teardown generic; }

# fork() while a paced stream runs: the child touching the UMEM dies of SIGSEGV.
cf_fork() {
	lab_up
	cf_start k a fork -i "$IF_A" --mode "$1" -n $CF_N $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" $CF_N 64-1500 --rate 10000
	cf_end k "$pid"
	expect "child" "$(cf_kv k child)" SIGSEGV
}

test_conform_fork_native() { cf_fork native; }
test_conform_fork_generic() { cf_fork generic; }

# ---- multi-buffer: jumbo frames on veths with MTU 9000 ----

CF_MB_N=1000	# jumbo frames per stream: every chain of them fits the peers' rings at once

cf_jumbo_lab() {
	lab_up "$@"
	ip -n "$NS_A" link set dev "$IF_A" mtu 9000 || fail "cannot set MTU 9000 on $IF_A"
	ip -n "$NS_B" link set dev "$IF_B" mtu 9000 || fail "cannot set MTU 9000 on $IF_B"
}

# cf_mb_rx MODE FRAME_SIZE: b sends jumbo frames as chains, a receives them as chains.
# 2048-byte frames hold 1792 bytes of a received packet: a 9014-byte frame is 6 segments.
cf_mb_rx() {
	cf_jumbo_lab
	cf_start r a mb_rx -i "$IF_A" --mode "$1" --frame-size "$2" --frames 16384 \
		--fill-size 8192 --rx-size 8192 --multi-buffer -n $CF_MB_N $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" $CF_MB_N 60-9014 --multi-buffer $(cf_rate "$1")
	cf_end r "$pid"
	expect "packets" "$(cf_kv r packets)" $CF_MB_N
	[ "$(cf_kv r chains)" -gt $((CF_MB_N / 2)) ] || fail "only $(cf_kv r chains) chains"
	no_xdp "$NS_A" "$IF_A"
}

test_conform_mb_rx_4k_native() { cf_mb_rx native 4096; }
test_conform_mb_rx_4k_generic() { cf_mb_rx generic 4096; }
test_conform_mb_rx_2k_native() { cf_mb_rx native 2048; }
test_conform_mb_rx_2k_generic() { cf_mb_rx generic 2048; }

# cf_mb_tx MODE: a sends chains cut at varying points, b reassembles and checks them.
cf_mb_tx() {
	cf_jumbo_lab
	(exec scripts/lab.sh exec "$LAB_ID" b "$XF" recv -i "$IF_B" --mode "$1" --multi-buffer \
		--frame-size 4096 --frames 16384 --ring-size 8192 -n $CF_MB_N -t 30 --verify \
		--json) >"$T_DIR/rb.json" 2>"$T_DIR/rb.err" &
	RECV_PID=$!
	wait_for "$T_DIR/rb.err" "receiving on" 15
	cf_run t mb_tx -i "$IF_A" --mode "$1" --multi-buffer -n $CF_MB_N -s 60-9014 \
		$(cf_peer_b) $(cf_rate "$1")
	cf_recv_check rb $CF_MB_N "$1"
	[ "$(jget "$T_DIR/rb.json" .chained)" -gt $((CF_MB_N / 2)) ] ||
		fail "b got only $(jget "$T_DIR/rb.json" .chained) chained packets"
	no_xdp "$NS_A" "$IF_A"
}

test_conform_mb_tx_native() { cf_mb_tx native; }
test_conform_mb_tx_generic() { cf_mb_tx generic; }

# Malformed chains among a stream of valid frames: b sees exactly the valid ones, in order,
# and nothing of the chain left dangling at the end (b runs until a has closed its socket).
cf_mb_tx_bad() {
	cf_jumbo_lab
	(exec scripts/lab.sh exec "$LAB_ID" b "$XF" recv -i "$IF_B" --mode "$1" --multi-buffer \
		--frame-size 4096 --frames 16384 --ring-size 8192 -t 60 --verify \
		--json) >"$T_DIR/rb.json" 2>"$T_DIR/rb.err" &
	RECV_PID=$!
	wait_for "$T_DIR/rb.err" "receiving on" 15
	cf_run t mb_tx_bad -i "$IF_A" --mode "$1" --multi-buffer -n 1500 -s 60-1500 \
		$(cf_peer_b) $(cf_rate "$1")
	kill -INT "$RECV_PID"
	cf_recv_check rb 1500 "$1"
	expect "tx_invalid_descs" "$(cf_kv t tx.tx_invalid_descs)" 22
	no_xdp "$NS_A" "$IF_A"
}

test_conform_mb_tx_bad_native() { cf_mb_tx_bad native; }
test_conform_mb_tx_bad_generic() { cf_mb_tx_bad generic; }

# An 8-frame UMEM, all in the fill ring, not read while 20 frames of 9014 bytes (3 segments
# of 4096-byte frames each) arrive: 2 land whole, 18 are dropped whole, 2 buffers stay.
cf_mb_fill_short() {
	cf_jumbo_lab
	cf_start r a mb_fill_short -i "$IF_A" --mode "$1" --multi-buffer --frames 8 -s 9014 \
		-N 20 $(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" 20 9014 --multi-buffer $(cf_rate "$1")
	cf_end r "$pid"
	expect "rx_dropped" "$(cf_kv r rx.rx_dropped)" 18
	expect "packets" "$(cf_kv r ring_rx)" 6
}

test_conform_mb_fill_short_native() { cf_mb_fill_short native; }
test_conform_mb_fill_short_generic() { cf_mb_fill_short generic; }

# ---- unaligned chunk mode: 3000-byte frames ----

test_conform_unaligned_rx_native() { cf_rx native 3000 $CF_N 64-1500 --unaligned; }
test_conform_unaligned_rx_generic() { cf_rx generic 3000 $CF_N 64-1500 --unaligned; }
# TX of a whole stream from 3000-byte frames, with the special descriptors among it.
test_conform_unaligned_descs_native() {
	cf_tx native un_descs $CF_N --unaligned --frame-size 3000 -s 60-1500
}
test_conform_unaligned_descs_generic() {
	cf_tx generic un_descs $CF_N --unaligned --frame-size 3000 -s 60-1500
}

# ---- outer IPv4/UDP encapsulation, received by a kernel UDP socket ----

# cf_udp_inner PORT COUNT: in b, a kernel UDP socket on PORT takes COUNT datagrams (or stops
# after 10 s of silence) and checks that each payload is a whole test frame from b to a:
# addresses, IPv4 and UDP checksums, the pattern, sequence numbers in order from 0.
# Writes "ok=N bad=M why=..." to $T_DIR/inner.out. Returns once it listens; sets UDP_PID.
cf_udp_inner() {
	(exec scripts/lab.sh exec "$LAB_ID" b python3 -c '
import socket, struct, sys
ready, port, count, mac_a, mac_b, ip_a, ip_b = sys.argv[1:8]
def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s
def check(f, seq):
    if len(f) < 64 or f[0:6] != bytes.fromhex(mac_a.replace(":", "")) or \
       f[6:12] != bytes.fromhex(mac_b.replace(":", "")) or f[12:14] != b"\x08\x00":
        return "ethernet header"
    ip = f[14:34]
    if csum(ip) != 0xffff or ip[9] != 17 or ip[12:16] != socket.inet_aton(ip_b) or \
       ip[16:20] != socket.inet_aton(ip_a) or struct.unpack("!H", ip[2:4])[0] != len(f) - 14:
        return "inner IPv4 header"
    udp = f[34:]
    if struct.unpack("!H", udp[2:4])[0] != 4242 or \
       csum(ip[12:20] + struct.pack("!BBH", 0, 17, len(udp)) + udp) != 0xffff:
        return "inner UDP header or checksum"
    pl = udp[8:]
    if pl[0:4] != b"XSKF" or struct.unpack("!I", pl[4:8])[0] != seq:
        return "sequence %d expected" % seq
    if any(pl[k] != (seq + k) & 0xff for k in range(8, len(pl))):
        return "payload of %d" % seq
    return None
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: past rmem_max
s.bind(("0.0.0.0", int(port))); s.settimeout(10)
open(ready, "w").write("listening\n")
ok = bad = 0; why = "-"
try:
    while ok + bad < int(count):
        r = check(s.recv(4096), ok + bad)
        if r:
            bad += 1; why = why if why != "-" else r.replace(" ", "_")
        else:
            ok += 1
except socket.timeout:
    pass
print("ok=%d bad=%d why=%s" % (ok, bad, why))' "$T_DIR/udp.ready" "$1" "$2" "$MAC_A" "$MAC_B" \
		"$IP4_A" "$IP4_B") >"$T_DIR/inner.out" &
	UDP_PID=$!
	wait_for "$T_DIR/udp.ready" listening
}

# cf_encap MODE HEADROOM: b sends the pattern on its queue 1; a encapsulates each frame
# (UDP checksum 0 and computed, alternately) and sends it back from its other queue to b's
# kernel, which checks the outer IPv4 and UDP checksums before the socket sees anything.
cf_encap() {
	local qs="-q 1 -Q 0" csum0 csum1
	[ "$1" = generic ] && qs="-q 0 -Q 1"
	lab_up -q 2
	csum0=$(in_b awk '/^Udp: [0-9]/ { print $8 }' /proc/net/snmp)
	cf_udp_inner 6081 $CF_N
	cf_start x a encap -i "$IF_A" $qs --mode "$1" --headroom "$2" --dport2 6081 -n $CF_N \
		$(cf_peer_b)
	local pid=$CF_PID
	cf_send "$IF_B" "$MAC_A" $CF_N 64-1450 -q 1 $CF_FWD_RATE
	cf_end x "$pid"
	wait "$UDP_PID" || fail "the UDP listener in b failed"
	echo "b: $(cat "$T_DIR/inner.out")"
	expect "inner frames intact" "$(cat "$T_DIR/inner.out")" "ok=$CF_N bad=0 why=-"
	csum1=$(in_b awk '/^Udp: [0-9]/ { print $8 }' /proc/net/snmp)
	expect "UDP InCsumErrors in b" "$((csum1 - csum0))" 0
}

test_conform_encap_native() { cf_encap native 0; }
test_conform_encap_generic() { cf_encap generic 0; }
